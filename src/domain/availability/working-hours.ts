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
  const last = localDate(window.end + DAY, hours.zone);
  for (let date = localDate(window.start - DAY, hours.zone); date <= last; date = addDays(date, 1)) {
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
