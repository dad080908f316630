import { FIRST_MS, LAST_MS } from "../instants";
import { merge, subtract, type Range } from "./ranges";
import type { HostHours, HoursRow } from "./schedule-resolution";
import { localDay, parseDay, wallToInstantOfDay, weekdayOfDay } from "./time-zone";

/**
 * Working hours → UTC ranges (domain.md "Availability"): for every local day of the schedule's zone
 * whose weekday is in a row's `days`, [day + startTime, day + endTime) read as wall-clock time there;
 * rows of one day add up (split shifts; overlaps merge). Date overrides replace every weekly range of
 * their date; an override of 00:00–00:00 makes the date unavailable. A row whose end is not after its
 * start is ignored. Out-of-office entries are cut out.
 */

const DAY = 86_400_000;

const FIRST_DAY = Math.floor(FIRST_MS / DAY);
const LAST_DAY = Math.floor(LAST_MS / DAY);

/** The host's working ranges for every local day touching [window.start, window.end). */
export function workingRanges(hours: HostHours, window: Range, outOfOffice: readonly Range[] = []): Range[] {
  const overrides = new Map<number, HoursRow[]>();
  const weekly: HoursRow[] = [];
  for (const row of hours.rows) {
    if (row.date == null) weekly.push(row);
    else {
      const day = parseDay(row.date);
      const list = overrides.get(day);
      if (list) list.push(row);
      else overrides.set(day, [row]);
    }
  }
  const byWeekday: HoursRow[][] = [0, 1, 2, 3, 4, 5, 6].map((w) => weekly.filter((r) => r.days.includes(w)));
  const ranges: Range[] = [];
  // Local days stay within the API's years (0001–9999).
  const first = Math.max(localDay(window.start - DAY, hours.zone), FIRST_DAY);
  const last = Math.min(localDay(window.end + DAY, hours.zone), LAST_DAY);
  for (let day = first; day <= last; day += 1) {
    const rows = overrides.get(day) ?? byWeekday[weekdayOfDay(day)];
    for (const row of rows) {
      if (row.endMinutes <= row.startMinutes) continue;
      ranges.push({
        start: wallToInstantOfDay(day, row.startMinutes, hours.zone),
        end: wallToInstantOfDay(day, row.endMinutes, hours.zone),
      });
    }
  }
  const merged = merge(ranges);
  return outOfOffice.length ? subtract(merged, merge(outOfOffice)) : merged;
}
