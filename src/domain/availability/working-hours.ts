import { FIRST_MS, LAST_MS } from "../instants";
import { merge, subtract, type Range } from "./ranges";
import type { HostHours, HoursRow } from "./schedule-resolution";
import { addDays, localDate, wallToInstant, weekdayOf } from "./time-zone";

/**
 * Working hours → UTC ranges (domain.md "Availability"): for every local day of the schedule's zone
 * whose weekday is in a row's `days`, [day + startTime, day + endTime) read as wall-clock time there;
 * rows of one day add up (split shifts; overlaps merge). Date overrides replace every weekly range of
 * their date; an override of 00:00–00:00 makes the date unavailable. A row whose end is not after its
 * start is ignored. Out-of-office entries are cut out.
 */

const DAY = 86_400_000;

/** A local date clamped to 0001-01-01 … 9999-12-31 (localDate writes years beyond with a sign). */
function apiDate(date: string): string {
  return date.startsWith("+") ? "9999-12-31" : date.startsWith("-") ? "0001-01-01" : date;
}

/** The host's working ranges for every local day touching [window.start, window.end). */
export function workingRanges(hours: HostHours, window: Range, outOfOffice: readonly Range[] = []): Range[] {
  const overrides = new Map<string, HoursRow[]>();
  const weekly: HoursRow[] = [];
  for (const row of hours.rows) {
    if (row.date == null) weekly.push(row);
    else {
      const list = overrides.get(row.date);
      if (list) list.push(row);
      else overrides.set(row.date, [row]);
    }
  }
  const ranges: Range[] = [];
  // Local dates stay within the API's years (0001–9999), whose dates are "YYYY-MM-DD" strings.
  const first = apiDate(localDate(Math.max(window.start - DAY, FIRST_MS), hours.zone));
  const last = apiDate(localDate(Math.min(window.end + DAY, LAST_MS), hours.zone));
  // Stops at `last` itself: the day after 9999-12-31 has no "YYYY-MM-DD" form to compare.
  for (let date: string | null = first; date !== null && date <= last; date = date === last ? null : addDays(date, 1)) {
    const override = overrides.get(date);
    const weekday = weekdayOf(date);
    const rows = override ?? weekly.filter((r) => r.days.includes(weekday));
    for (const row of rows) {
      if (row.endMinutes <= row.startMinutes) continue;
      ranges.push({ start: wallToInstant(date, row.startMinutes, hours.zone), end: wallToInstant(date, row.endMinutes, hours.zone) });
    }
  }
  const merged = merge(ranges);
  return outOfOffice.length ? subtract(merged, merge(outOfOffice)) : merged;
}
