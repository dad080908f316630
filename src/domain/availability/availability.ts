import type { PeriodType, SchedulingType } from "../../entities/enums";
import { hostBusy, isBusy, type BusyBooking, type HostBusy } from "./busy-time";
import { decideHosts, hostMode, orderHosts, type HostState } from "./host-selection";
import { bookingWindow, LimitCounts, parseBookingLimits, type BookingWindow } from "./limits";
import { intersect, subtract, union, type Range } from "./ranges";
import { resolveHostHours, type ScheduleData } from "./schedule-resolution";
import { slotStarts } from "./slot-grid";
import { formatDay, localDate, localDay } from "./time-zone";
import { workingRanges } from "./working-hours";

/**
 * Availability of one event type: the one rule behind both `slots` and the booking checks of
 * createBooking / rescheduleBooking. `slots` lists the starts on the grid of the free ranges and
 * keeps only those `decideStart` accepts, so every listed slot books, and a start left out for lack
 * of hours, busy time, notice, period or a full limit is refused by the same function. Pure: the data
 * comes from availability.loader.ts (three statements), `now` from the caller.
 */

const MINUTE = 60_000;

/** The event type's columns the rules read. */
export interface EventTypeRules {
  id: number;
  userId: number | null;
  teamId: number | null;
  length: number;
  lengths: number[];
  slotInterval: number | null;
  minimumBookingNotice: number;
  beforeEventBuffer: number;
  afterEventBuffer: number;
  seatsPerTimeSlot: number | null;
  schedulingType: SchedulingType | null;
  periodType: PeriodType;
  periodDays: number | null;
  periodCountCalendarDays: boolean | null;
  periodStartDate: Date | null;
  periodEndDate: Date | null;
  bookingLimits: unknown;
  scheduleId: number | null;
  timeZone: string | null;
}

export interface HostData {
  userId: number;
  name: string | null;
  email: string;
  timeZone: string;
  locale: string | null;
  defaultScheduleId: number | null;
  isFixed: boolean;
  priority: number | null;
  weight: number | null;
  hostScheduleId: number | null;
}

/** Everything the rules need, as loaded from the database. */
export interface AvailabilityData {
  eventType: EventTypeRules;
  hosts: HostData[];
  schedules: ReadonlyMap<number, ScheduleData>;
  outOfOffice: ReadonlyArray<{ userId: number } & Range>;
  /** Busy bookings with the hosts they keep busy (organizer, or attendee by e-mail). */
  busy: ReadonlyArray<BusyBooking & { hostIds: number[] }>;
  /** Held bookings of the event type per local date of the event's zone (only with booking limits). */
  limitCounts: ReadonlyMap<string, number> | null;
  /** The organizer a rescheduled booking keeps. */
  pinnedOrganizer: number | null;
  /** That organizer when no longer a host: their busy time (in `busy`) must still leave the time free. */
  pinnedOutsideHosts?: number | null;
  /**
   * A new booking may join a held booking of a seated event type at its exact start (false when a
   * whole booking is moved: then every other held booking blocks). Default true.
   */
  seatJoins?: boolean;
  /** The instants the data covers (starts plus the longest duration), as loaded. */
  range?: Range;
}

export interface AvailabilityContext {
  eventType: EventTypeRules;
  zone: string;
  hosts: HostState[];
  mode: "all" | "roundRobin";
  window: BookingWindow;
  limits: LimitCounts | null;
  /** Taken seats of the held booking at each start (seated event types that take joins). */
  seatsTaken: Map<number, number>;
  /** Seats per slot when new bookings may join held ones (null otherwise). */
  seats: number | null;
  pinnedOrganizer: number | null;
  /** Busy time of a moved booking's organizer who is no longer a host. */
  pinnedBusy: HostBusy | null;
  /** now + minimum notice: the earliest start, where the slot grid is cut. */
  earliest: number;
}

/** The event's zone (that of the first host's schedule), needed before the limit counts are read. */
export function eventZone(data: Pick<AvailabilityData, "eventType" | "hosts" | "schedules">): string {
  const first = orderHosts(data.hosts)[0];
  if (!first) return data.eventType.timeZone ?? "UTC";
  return resolveHostHours(first, data.eventType, data.schedules).zone;
}

/** Builds each host's hours and busy time over `range` (the instants starts and ends may take). */
export function buildContext(data: AvailabilityData, range: Range, now: number): AvailabilityContext {
  const et = data.eventType;
  const seats = data.seatJoins === false ? null : et.seatsPerTimeSlot || null;
  const rules = { ...et, seatsPerTimeSlot: seats };
  const hosts = orderHosts(data.hosts).map((h): HostState => {
    const hours = resolveHostHours(h, et, data.schedules);
    const away = data.outOfOffice.filter((o) => o.userId === h.userId);
    return {
      userId: h.userId,
      name: h.name,
      email: h.email,
      timeZone: h.timeZone,
      locale: h.locale,
      isFixed: h.isFixed,
      priority: h.priority,
      weight: h.weight,
      hours: workingRanges(hours, range, away),
      busy: hostBusy(
        data.busy.filter((b) => b.hostIds.includes(h.userId)),
        rules,
      ),
    };
  });
  const zone = eventZone(data);
  const limits = parseBookingLimits(et.bookingLimits);
  const seatsTaken = new Map<number, number>();
  if (seats) {
    for (const b of data.busy)
      if (b.eventTypeId === et.id && b.seatsTaken != null) seatsTaken.set(b.start, Math.max(seatsTaken.get(b.start) ?? 0, b.seatsTaken));
  }
  const outside = data.pinnedOutsideHosts;
  return {
    eventType: et,
    zone,
    hosts,
    mode: hostMode(et),
    window: bookingWindow(et, zone, now),
    limits: limits && data.limitCounts ? new LimitCounts(limits, data.limitCounts) : null,
    seatsTaken,
    seats,
    pinnedOrganizer: data.pinnedOrganizer,
    pinnedBusy:
      outside != null
        ? hostBusy(
            data.busy.filter((b) => b.hostIds.includes(outside)),
            rules,
          )
        : null,
    earliest: now + et.minimumBookingNotice * MINUTE,
  };
}

export type StartDecision =
  | { ok: true; organizer: HostState; attending: HostState[]; seatsRemaining: number | null }
  | { ok: false; reason: "OUTSIDE_WINDOW" | "BOOKING_LIMIT_REACHED" | "NOT_AVAILABLE" | "SLOT_TAKEN" };

/**
 * Decides a booking of [start, end), checking in the contract's order: window (notice, period),
 * limits, hours, busy time (and seats). Joining a held seated booking adds no booking, so a full
 * limit period does not close its remaining seats.
 */
export function decideStart(ctx: AvailabilityContext, start: number, end: number): StartDecision {
  if (start < ctx.window.start || start >= ctx.window.end) return { ok: false, reason: "OUTSIDE_WINDOW" };
  const joining = ctx.seats != null && ctx.seatsTaken.has(start);
  if (!joining && ctx.limits?.isFull(localDate(start, ctx.zone))) return { ok: false, reason: "BOOKING_LIMIT_REACHED" };
  const hosts = decideHosts(ctx.hosts, ctx.mode, start, end, ctx.pinnedOrganizer);
  if (!hosts.ok) return hosts;
  if (ctx.pinnedBusy && isBusy(ctx.pinnedBusy, start, end)) return { ok: false, reason: "SLOT_TAKEN" };
  if (ctx.seats == null) return { ...hosts, seatsRemaining: null };
  const remaining = ctx.seats - (ctx.seatsTaken.get(start) ?? 0);
  return remaining > 0 ? { ...hosts, seatsRemaining: remaining } : { ok: false, reason: "SLOT_TAKEN" };
}

export interface Slot {
  start: number;
  end: number;
  seatsRemaining: number | null;
}

/** The free ranges of the event type: hosts' hours minus busy time, combined by the scheduling rule. */
function freeRanges(ctx: AvailabilityContext): Range[] {
  const free = (h: HostState) => subtract(h.hours, h.busy.blocked);
  if (ctx.hosts.length === 0) return [];
  if (ctx.mode === "all") {
    const all = ctx.hosts.map(free).reduce((a, b) => intersect(a, b));
    return ctx.pinnedBusy ? subtract(all, ctx.pinnedBusy.blocked) : all;
  }
  const fixed = ctx.hosts.filter((h) => h.isFixed).map(free);
  const rotating = ctx.hosts.filter((h) => !h.isFixed);
  const pinned = ctx.pinnedOrganizer != null && rotating.some((h) => h.userId === ctx.pinnedOrganizer);
  const candidates = (pinned ? rotating.filter((h) => h.userId === ctx.pinnedOrganizer) : rotating).map(free);
  const parts = [...fixed, ...(candidates.length ? [union(candidates)] : [])];
  const combined = parts.reduce((a, b) => intersect(a, b));
  return ctx.pinnedBusy ? subtract(combined, ctx.pinnedBusy.blocked) : combined;
}

/** The slots of [from, to) for a duration, each accepted by `decideStart`. */
export function listSlots(ctx: AvailabilityContext, from: number, to: number, duration: number, timeZone: string): Slot[] {
  const step = ctx.eventType.slotInterval && ctx.eventType.slotInterval > 0 ? ctx.eventType.slotInterval : duration;
  // The grid is cut at now + notice; starts outside the booking period are dropped by decideStart.
  const lowerBound = Math.max(from, ctx.earliest);
  const upper = Math.min(to, ctx.window.end);
  if (upper <= lowerBound) return [];
  const starts = slotStarts(freeRanges(ctx), { duration, step, lowerBound, to: upper, zone: timeZone });
  const slots: Slot[] = [];
  for (const start of starts) {
    const end = start + duration * MINUTE;
    const decision = decideStart(ctx, start, end);
    if (decision.ok) slots.push({ start, end, seatsRemaining: decision.seatsRemaining });
  }
  return slots;
}

/** Slots grouped by the local date of their start in `timeZone` (days ascending, empty days left out). */
export function groupByDay(slots: readonly Slot[], timeZone: string): Array<{ date: string; slots: Slot[] }> {
  const days: Array<{ date: string; slots: Slot[] }> = [];
  let current = Number.NaN;
  for (const slot of slots) {
    const day = localDay(slot.start, timeZone);
    if (day === current) days[days.length - 1].slots.push(slot);
    else {
      current = day;
      days.push({ date: formatDay(day), slots: [slot] });
    }
  }
  return days;
}
