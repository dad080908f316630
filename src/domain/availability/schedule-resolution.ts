import { isKnownZone } from "./time-zone";

/**
 * Which schedule applies to a host, and in which zone (domain.md "Availability"): the event type's
 * schedule, else the host's schedule for this event type, else the user's default schedule, else
 * the user's first schedule (lowest id), else the built-in Monday–Friday 09:00–17:00. A schedule that
 * exists but has no rows means never available (no fallback). Its zone: the schedule's, else the
 * event type's (legacy), else the user's.
 */

/** One row of `"Availability"`, in minutes since local midnight. */
export interface HoursRow {
  /** Weekdays (0 = Sunday) of weekly hours; ignored for a date override. */
  days: readonly number[];
  startMinutes: number;
  endMinutes: number;
  /** "YYYY-MM-DD" of a date override, or null for weekly hours. */
  date: string | null;
}

export interface ScheduleData {
  id: number;
  userId: number;
  timeZone: string | null;
  rows: HoursRow[];
}

/** The hours that apply to one host: rows read as wall-clock time in `zone`. */
export interface HostHours {
  zone: string;
  rows: readonly HoursRow[];
  /** The schedule's id, or null for the built-in hours. */
  scheduleId: number | null;
}

/** Cal.com's built-in hours for a user without any schedule: Monday–Friday 09:00–17:00. */
export const DEFAULT_HOURS: readonly HoursRow[] = [{ days: [1, 2, 3, 4, 5], startMinutes: 9 * 60, endMinutes: 17 * 60, date: null }];

/** "HH:MM[:SS]" of a Postgres `time` as minutes since midnight; 23:59 (and later) is the end of the day, 1440. */
export function timeToMinutes(value: string): number {
  const hours = Number(value.slice(0, 2));
  const minutes = Number(value.slice(3, 5));
  const total = hours * 60 + minutes;
  return total >= 23 * 60 + 59 ? 24 * 60 : total;
}

export function resolveHostHours(
  host: { userId: number; timeZone: string; defaultScheduleId: number | null; hostScheduleId: number | null },
  eventType: { scheduleId: number | null; timeZone: string | null },
  schedules: ReadonlyMap<number, ScheduleData>,
): HostHours {
  const candidates = [eventType.scheduleId, host.hostScheduleId, host.defaultScheduleId];
  let schedule: ScheduleData | undefined;
  for (const id of candidates) {
    if (id != null && schedules.has(id)) {
      schedule = schedules.get(id);
      break;
    }
  }
  if (!schedule) {
    for (const s of schedules.values()) {
      if (s.userId === host.userId && (!schedule || s.id < schedule.id)) schedule = s;
    }
  }
  const zone = firstKnownZone(schedule?.timeZone, eventType.timeZone, host.timeZone);
  if (!schedule) return { zone, rows: DEFAULT_HOURS, scheduleId: null };
  return { zone, rows: schedule.rows, scheduleId: schedule.id };
}

/** The first zone set and known to the runtime (a stored zone it does not know is skipped), else UTC. */
function firstKnownZone(...zones: Array<string | null | undefined>): string {
  for (const zone of zones) if (zone && isKnownZone(zone)) return zone;
  return "UTC";
}
