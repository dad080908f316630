import { IANAZone } from "luxon";
import { LruMap } from "../../cached";
import { formatUtcIso } from "../../db/utc";

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
/**
 * Per zone: quarter-hour bucket → offset (NaN: the bucket holds a change). Bounded in total (a few
 * MB): past MAX_BUCKETS entries over all zones it starts again empty.
 */
const offsets = new Map<string, Map<number, number>>();
const MAX_BUCKETS = 200_000;
let bucketCount = 0;

function zoneOf(name: string): IANAZone {
  let zone = zones.get(name);
  if (!zone) {
    zone = IANAZone.create(name);
    if (!zone.isValid) throw new RangeError(`Unknown time zone ${name}`);
    zones.set(name, zone);
  }
  return zone;
}

/** True when the runtime knows the IANA zone (known zones are kept; asking Intl costs about 0.25 ms). */
export function isKnownZone(name: string): boolean {
  if (zones.get(name)) return true;
  const zone = IANAZone.create(name);
  if (!zone.isValid) return false;
  zones.set(name, zone);
  return true;
}

/** The zone's offset from UTC in minutes at the instant (cached per zone and quarter hour). */
export function offsetMinutes(zoneName: string, ms: number): number {
  const bucket = Math.floor(ms / BUCKET);
  let buckets = offsets.get(zoneName);
  if (!buckets) offsets.set(zoneName, (buckets = new Map<number, number>()));
  const known = buckets.get(bucket);
  if (known !== undefined && known === known) return known; // not NaN
  const zone = zoneOf(zoneName);
  if (known === undefined) {
    const first = zone.offset(bucket * BUCKET);
    const last = zone.offset(bucket * BUCKET + BUCKET - 1);
    if (bucketCount >= MAX_BUCKETS) {
      for (const map of offsets.values()) map.clear();
      bucketCount = 0;
    }
    bucketCount += 1;
    // A bucket holding a change is marked NaN and always asked exactly.
    buckets.set(bucket, first === last ? first : Number.NaN);
    if (first === last) return first;
  }
  return zone.offset(ms);
}

/** The local calendar date ("YYYY-MM-DD") of an instant in the zone. */
export function localDate(ms: number, zone: string): string {
  return formatDay(localDay(ms, zone));
}

/** The local calendar day of an instant in the zone, as a day number (days since 1970-01-01). */
export function localDay(ms: number, zone: string): number {
  return Math.floor((ms + offsetMinutes(zone, ms) * MINUTE) / DAY);
}

/**
 * "YYYY-MM-DD" → day number (days since 1970-01-01), by Howard Hinnant's `days_from_civil`
 * (proleptic Gregorian, as Postgres and ISO-8601; Date.UTC would read years 0001–0099 as 19xx).
 */
export function parseDay(date: string): number {
  let y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7));
  const d = Number(date.slice(8, 10));
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** "YYYY-MM-DD" of a day number (years 0001–9999 as four digits; db/utc.ts's formatter). */
export function formatDay(day: number): string {
  return formatUtcIso(new Date(day * DAY)).slice(0, 10);
}

/** The date `days` calendar days after `date`. */
export function addDays(date: string, days: number): string {
  return formatDay(parseDay(date) + days);
}

/** Weekday of a calendar date, 0 = Sunday … 6 = Saturday (Postgres `EXTRACT(DOW)`). */
export function weekdayOf(date: string): number {
  return weekdayOfDay(parseDay(date));
}

/** Weekday of a day number (1970-01-01 was a Thursday). */
export function weekdayOfDay(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/**
 * The instant of wall-clock time `minutes` after midnight of `date` in the zone (minutes may be
 * 1440: the next midnight), as Postgres's `timestamp AT TIME ZONE zone` computes it.
 */
export function wallToInstant(date: string, minutes: number, zone: string): number {
  return wallToInstantOfDay(parseDay(date), minutes, zone);
}

/** `wallToInstant` for a day number. */
export function wallToInstantOfDay(day: number, minutes: number, zone: string): number {
  const naive = day * DAY + minutes * MINUTE;
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
