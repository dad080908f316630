import type { EventType } from "../../entities";
import { isInstantInRange } from "../instants";
import { badInput } from "../errors";
import { allowedDurations } from "./booking-input";

/**
 * What a booking moved to a new time must meet, checked before any slot or availability check:
 * - **reschedule** keeps an allowed duration: the old one (when `end` is absent, or gives it), or
 *   one of the event type's lengths (notice, period and hours are availability/booking-fit.ts's);
 * - an **updateBooking** move lasts from 1 minute to 24 hours, both inclusive;
 * - either way a computed end (start + a duration) is held to the DateTime range like a given one
 *   (a year-10000 end once blocked an organizer for millennia), and the start is not in the past.
 */

const MINUTE = 60_000;
/** The longest an updateBooking move may make a booking. */
export const MAX_MOVED_DURATION_MINUTES = 24 * 60;

function checkRange(start: Date, end: Date, now: Date): void {
  if (!isInstantInRange(end)) throw badInput("end", "end is outside 0001-01-01 … 9999-12-31.");
  if (end.getTime() <= start.getTime()) throw badInput("end", "end must be after start.");
  if (start.getTime() < now.getTime()) throw badInput("start", "start is in the past.");
}

/** The new times of a rescheduled booking (see the module comment). */
export function rescheduledTimes(
  old: { startTime: Date; endTime: Date },
  eventType: Pick<EventType, "length" | "metadata"> | null,
  start: Date,
  end: Date | null | undefined,
  now: Date,
): { start: Date; end: Date } {
  const oldMinutes = (old.endTime.getTime() - old.startTime.getTime()) / MINUTE;
  const newEnd = end ?? new Date(start.getTime() + oldMinutes * MINUTE);
  checkRange(start, newEnd, now);
  const minutes = (newEnd.getTime() - start.getTime()) / MINUTE;
  const allowed = new Set([oldMinutes, ...(eventType ? allowedDurations(eventType) : [])]);
  if (!allowed.has(minutes)) {
    throw badInput("end", `A rescheduled booking must last ${[...allowed].join(" or ")} minutes (got ${minutes}).`);
  }
  return { start, end: newEnd };
}

/** The new times of a booking moved by updateBooking (see the module comment). */
export function updatedTimes(
  old: { startTime: Date; endTime: Date },
  start: Date | null | undefined,
  end: Date | null | undefined,
  now: Date,
): { start: Date; end: Date } {
  const newStart = start ?? old.startTime;
  const newEnd = end ?? (start ? new Date(newStart.getTime() + (old.endTime.getTime() - old.startTime.getTime())) : old.endTime);
  if (!isInstantInRange(newEnd)) throw badInput("end", "end is outside 0001-01-01 … 9999-12-31.");
  if (newEnd.getTime() <= newStart.getTime()) throw badInput("end", "end must be after start.");
  if (start != null && newStart.getTime() < now.getTime()) throw badInput("start", "start is in the past.");
  const minutes = (newEnd.getTime() - newStart.getTime()) / MINUTE;
  if (minutes < 1 || minutes > MAX_MOVED_DURATION_MINUTES) {
    throw badInput("end", `A booking lasts from 1 minute to ${MAX_MOVED_DURATION_MINUTES / 60} hours (got ${minutes} minutes).`);
  }
  return { start: newStart, end: newEnd };
}
