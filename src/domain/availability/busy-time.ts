import { merge, type Range } from "./ranges";

/**
 * Busy time of a host (domain.md "Availability"): their ACCEPTED and PENDING bookings as organizer
 * and the ACCEPTED bookings they attend (by e-mail). A busy booking B of event type EB blocks, for a
 * new booking of event type E, [B.start − (EB.before + E.after), B.end + (EB.after + E.before)).
 * A booking being moved never blocks itself (the loader leaves it out). In a seated event type, a
 * held booking of that event type does not block its own start (its seats are taken there).
 */

export interface BusyBooking {
  id: number;
  start: number;
  end: number;
  eventTypeId: number | null;
  /** Buffers of the busy booking's own event type (0 without one). */
  beforeBuffer: number;
  afterBuffer: number;
  /** Attendees of a held booking of the seated event type being booked (its taken seats), else null. */
  seatsTaken: number | null;
}

export interface Buffers {
  beforeEventBuffer: number;
  afterEventBuffer: number;
}

/** What keeps a host busy for a new booking of the event type. */
export interface HostBusy {
  /** Blocked ranges, merged. */
  blocked: Range[];
  /** Held bookings of the seated event type: each blocks its range except a booking starting exactly at its own start. */
  seated: Array<{ start: number; range: Range }>;
}

const MINUTE = 60_000;

/**
 * The most one buffer counts for, in minutes (a day). Cal.com's own settings offer up to a few hours;
 * the cap bounds how far around a range the loader must look for busy bookings (an index range, not
 * a scan of every event type's buffers).
 */
export const MAX_BUFFER_MINUTES = 24 * 60;

const buffer = (minutes: number) => Math.min(Math.max(minutes, 0), MAX_BUFFER_MINUTES) * MINUTE;

/** The range a busy booking blocks for a new booking with buffers `e` (each buffer capped at MAX_BUFFER_MINUTES). */
export function blockedBy(b: BusyBooking, e: Buffers): Range {
  return {
    start: b.start - buffer(b.beforeBuffer) - buffer(e.afterEventBuffer),
    end: b.end + buffer(b.afterBuffer) + buffer(e.beforeEventBuffer),
  };
}

/** A host's busy time for a new booking of `eventType` (seated: `seatsPerTimeSlot` set). */
export function hostBusy(bookings: readonly BusyBooking[], eventType: Buffers & { id: number; seatsPerTimeSlot: number | null }): HostBusy {
  const blocked: Range[] = [];
  const seated: HostBusy["seated"] = [];
  for (const b of bookings) {
    const range = blockedBy(b, eventType);
    if (eventType.seatsPerTimeSlot && b.eventTypeId === eventType.id) seated.push({ start: b.start, range });
    else blocked.push(range);
  }
  return { blocked: merge(blocked), seated };
}

/** True when busy time blocks [start, end) (half-open: back-to-back fits). */
export function isBusy(busy: HostBusy, start: number, end: number): boolean {
  if (overlapsAny(busy.blocked, start, end)) return true;
  return busy.seated.some((s) => s.start !== start && s.range.start < end && s.range.end > start);
}

/** True when some range of the merged list overlaps [start, end). */
export function overlapsAny(ranges: readonly Range[], start: number, end: number): boolean {
  // The last range starting before `end` is the only candidate (merged ranges do not overlap).
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid].start < end) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi >= 0 && ranges[hi].end > start;
}
