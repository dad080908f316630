import { IANAZone } from "luxon";
import { LruMap } from "../../cached";

/**
 * Local ↔ UTC for the availability rules. The zone rules come from Luxon (the runtime's IANA data
 * through Intl); this file only decides which of Luxon's offsets a wall time gets, the way Postgres's
 * `timestamp AT TIME ZONE zone` does: a wall time in a spring-forward gap moves forward (it is read
 * with the offset in force before the change), an ambiguous one in a fall-back overlap is the later
 * instant. Instants are epoch milliseconds; local dates are "YYYY-MM-DD" strings.
 */

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Offsets are looked up per 15-minute bucket; a bucket whose ends disagree is asked exactly. */
const BUCKET = 15 * MINUTE;

const zones = new LruMap<string, IANAZone>(1_000);
const offsets = new LruMap<string, number>(100_000);

function zoneOf(name: string): IANAZone {
  let zone = zones.get(name);
  if (!zone) {
    zone = IANAZone.create(name);
    if (!zone.isValid) throw new RangeError(`Unknown time zone ${name}`);
    zones.set(name, zone);
  }
  return zone;
}

/** True when the runtime knows the IANA zone. */
export function isKnownZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

/** The zone's offset from UTC in minutes at the instant (cached per zone and quarter hour). */
export function offsetMinutes(zoneName: string, ms: number): number {
  const bucket = Math.floor(ms / BUCKET);
  const key = `${zoneName}|${bucket}`;
  const known = offsets.get(key);
  if (known !== undefined && !Number.isNaN(known)) return known;
  const zone = zoneOf(zoneName);
  if (known === undefined) {
    const first = zone.offset(bucket * BUCKET);
    const last = zone.offset(bucket * BUCKET + BUCKET - 1);
    // A bucket holding a change is marked NaN and always asked exactly.
    offsets.set(key, first === last ? first : Number.NaN);
    if (first === last) return first;
  }
  return zone.offset(ms);
}

/** Local calendar fields of an instant in the zone. */
export interface LocalParts {
  date: string;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Minutes since local midnight. */
  minuteOfDay: number;
}

export function localParts(ms: number, zone: string): LocalParts {
  const shifted = new Date(ms + offsetMinutes(zone, ms) * MINUTE);
  return {
    date: shifted.toISOString().slice(0, 10),
    weekday: shifted.getUTCDay(),
    minuteOfDay: shifted.getUTCHours() * 60 + shifted.getUTCMinutes(),
  };
}

/** The local calendar date ("YYYY-MM-DD") of an instant in the zone. */
export function localDate(ms: number, zone: string): string {
  return new Date(ms + offsetMinutes(zone, ms) * MINUTE).toISOString().slice(0, 10);
}

/** Midnight UTC of a "YYYY-MM-DD" date (years 0001–9999; Date.UTC would read 0001–0099 as 19xx). */
function dateMs(date: string): number {
  const d = new Date(0);
  d.setUTCFullYear(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
  return d.getTime();
}

/** The date `days` calendar days after `date`. */
export function addDays(date: string, days: number): string {
  return new Date(dateMs(date) + days * DAY).toISOString().slice(0, 10);
}

/** Weekday of a calendar date, 0 = Sunday … 6 = Saturday (Postgres `EXTRACT(DOW)`). */
export function weekdayOf(date: string): number {
  return new Date(dateMs(date)).getUTCDay();
}

/**
 * The instant of wall-clock time `minutes` after midnight of `date` in the zone (minutes may be
 * 1440: the next midnight), as Postgres's `timestamp AT TIME ZONE zone` computes it.
 */
export function wallToInstant(date: string, minutes: number, zone: string): number {
  const naive = dateMs(date) + minutes * MINUTE;
  const before = offsetMinutes(zone, naive - DAY);
  const after = offsetMinutes(zone, naive + DAY);
  let best: number | undefined;
  for (const offset of before === after ? [before] : [before, after]) {
    const instant = naive - offset * MINUTE;
    if (offsetMinutes(zone, instant) === offset && (best === undefined || instant > best)) best = instant;
  }
  // In a gap no offset fits: the wall time is read with the offset in force before the change.
  return best ?? naive - before * MINUTE;
}

/** Local midnight starting the date in the zone. */
export function startOfLocalDay(date: string, zone: string): number {
  return wallToInstant(date, 0, zone);
}
