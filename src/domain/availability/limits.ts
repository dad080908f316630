import { PeriodType } from "../../entities/enums";
import { FIRST_MS, LAST_MS } from "../instants";
import { addDays, localDate, startOfLocalDay, weekdayOf } from "./time-zone";

const DAY = 86_400_000;

/**
 * The limits on when an event type can be booked (domain.md "Availability" → Limits), all in the
 * event's zone (the zone of its first host's schedule):
 * - minimum notice: a start at least `minimumBookingNotice` minutes from now;
 * - the booking period: ROLLING / ROLLING_WINDOW up to the end of the day `periodDays` days from
 *   today (calendar days with `periodCountCalendarDays`, else business days Monday–Friday); RANGE
 *   from the start of `periodStartDate`'s day to the end of `periodEndDate`'s day (their UTC
 *   calendar dates); UNLIMITED none;
 * - booking limits: when the ACCEPTED and PENDING bookings of the event type in a day / week
 *   (Monday start) / month / year reach the limit, that whole period is full.
 */

const MINUTE = 60_000;

export interface PeriodSettings {
  minimumBookingNotice: number;
  periodType: PeriodType;
  periodDays: number | null;
  periodCountCalendarDays: boolean | null;
  periodStartDate: Date | null;
  periodEndDate: Date | null;
}

/** The instants a start must lie in: [start, end). */
export interface BookingWindow {
  start: number;
  end: number;
}

/** Where a start may lie: after now + notice, inside the booking period. */
export function bookingWindow(settings: PeriodSettings, zone: string, now: number): BookingWindow {
  let start = now + settings.minimumBookingNotice * MINUTE;
  let end = Number.POSITIVE_INFINITY;
  switch (settings.periodType) {
    case PeriodType.ROLLING:
    case PeriodType.ROLLING_WINDOW: {
      if (settings.periodDays == null) break;
      const today = localDate(now, zone);
      const last = settings.periodCountCalendarDays ? addDays(today, settings.periodDays) : addBusinessDays(today, settings.periodDays);
      end = startOfLocalDay(addDays(last, 1), zone);
      break;
    }
    case PeriodType.RANGE: {
      if (settings.periodStartDate) start = Math.max(start, startOfLocalDay(utcDate(settings.periodStartDate), zone));
      if (settings.periodEndDate) end = startOfLocalDay(addDays(utcDate(settings.periodEndDate), 1), zone);
      break;
    }
    default:
      break;
  }
  return { start, end };
}

function utcDate(value: Date): string {
  return value.toISOString().slice(0, 10);
}

/** The date `count` business days (Monday–Friday) after `date`. */
export function addBusinessDays(date: string, count: number): string {
  let day = date;
  for (let left = count; left > 0;) {
    day = addDays(day, 1);
    const weekday = weekdayOf(day);
    if (weekday >= 1 && weekday <= 5) left -= 1;
  }
  return day;
}

/** `{PER_DAY, PER_WEEK, PER_MONTH, PER_YEAR}`, any subset; other keys and non-positive values ignored. */
export interface BookingLimits {
  PER_DAY?: number;
  PER_WEEK?: number;
  PER_MONTH?: number;
  PER_YEAR?: number;
}

const LIMIT_KEYS = ["PER_DAY", "PER_WEEK", "PER_MONTH", "PER_YEAR"] as const;

/** The event type's limits that apply (null when none). */
export function parseBookingLimits(json: unknown): BookingLimits | null {
  if (!json || typeof json !== "object" || Array.isArray(json)) return null;
  const out: BookingLimits = {};
  for (const key of LIMIT_KEYS) {
    const value = (json as Record<string, unknown>)[key];
    if (typeof value === "number" && Number.isInteger(value) && value > 0) out[key] = value;
  }
  return Object.keys(out).length ? out : null;
}

/** The period keys of a local date: the day, its week's Monday, its month and its year. */
function periodKeys(date: string): Record<(typeof LIMIT_KEYS)[number], string> {
  const weekday = weekdayOf(date);
  return {
    PER_DAY: date,
    PER_WEEK: `W${addDays(date, weekday === 0 ? -6 : 1 - weekday)}`,
    PER_MONTH: date.slice(0, 7),
    PER_YEAR: date.slice(0, 4),
  };
}

/** Counts of held bookings per period, built from counts per local date. */
export class LimitCounts {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly limits: BookingLimits,
    perDate: Iterable<[string, number]>,
  ) {
    for (const [date, n] of perDate) {
      for (const key of Object.values(periodKeys(date))) this.counts.set(key, (this.counts.get(key) ?? 0) + n);
    }
  }

  /** True when a period containing the local date is full. */
  isFull(date: string): boolean {
    const keys = periodKeys(date);
    return LIMIT_KEYS.some((k) => this.limits[k] !== undefined && (this.counts.get(keys[k]) ?? 0) >= this.limits[k]);
  }
}

/**
 * The local dates whose counts decide the limits of starts in [from, to): every date of the years
 * touched, widened by a week on both sides (a week may straddle New Year).
 */
export function limitCountWindow(from: number, to: number, zone: string): { start: number; end: number } {
  const firstYear = Math.max(2, Number(localDate(Math.max(from, FIRST_MS + DAY), zone).slice(0, 4)));
  const lastYear = Math.min(9998, Number(localDate(Math.min(to, LAST_MS - DAY), zone).slice(0, 4)));
  const first = `${String(firstYear).padStart(4, "0")}-01-01`;
  const last = `${String(lastYear + 1).padStart(4, "0")}-01-01`;
  return { start: startOfLocalDay(addDays(first, -7), zone), end: startOfLocalDay(addDays(last, 7), zone) };
}
