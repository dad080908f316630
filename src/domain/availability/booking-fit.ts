import type { EntityManager } from "typeorm";
import { badInput, conflict, notFound } from "../errors";
import { lockEventTypeLimits, lockOrganizers } from "../booking/slots";
import { buildContext, decideStart, type AvailabilityData, type StartDecision } from "./availability";
import { queryPreparedIn } from "../../db/rows";
import { hostUserIds, loadAvailability, loadBusy, sqlOf } from "./availability.loader";
import { hostBusy, isBusy } from "./busy-time";
import { parseBookingLimits } from "./limits";

/**
 * The booking side of "one rule for both": createBooking and rescheduleBooking decide a start with
 * the same `decideStart` that `slots` lists with, on the same data, read inside the mutation's
 * transaction after the locks that make the decision race-free (the event type's limits lock when it
 * has booking limits, then every candidate host in ascending id order; see booking/slots.ts "Lock
 * order"). Refusals, in the contract's order: a start outside notice or period (BAD_USER_INPUT
 * `start`), a full limit period (BOOKING_LIMIT_REACHED), no host has the hours (NOT_AVAILABLE), busy
 * (SLOT_TAKEN).
 */

export type AcceptedStart = Extract<StartDecision, { ok: true }>;

/**
 * Decides [start, end) of the event type under the locks; throws the refusal. The caller has
 * already checked the viewer's right to book the event type (or to move the booking).
 */
export async function fitBooking(
  m: EntityManager,
  eventType: { id: number; bookingLimits: unknown },
  start: Date,
  end: Date,
  now: Date,
  exclude: { bookingId: number; organizerId: number | null } | null = null,
): Promise<AcceptedStart> {
  if (parseBookingLimits(eventType.bookingLimits)) await lockEventTypeLimits(m, eventType.id);
  const range = { start: start.getTime(), end: end.getTime() };
  // The hosts are locked between reading them and reading their busy time: the loader reads the
  // event type first, so take the locks on the host ids it would read, then load everything.
  const hostIds = await hostUserIds(sqlOf(m), eventType.id);
  // A moved booking keeps its organizer, who is locked (and checked) even when no longer a host.
  await lockOrganizers(m, [...hostIds, ...(exclude?.organizerId != null ? [exclude.organizerId] : [])]);
  const data = await loadAvailability(m, sqlOf(m), null, {
    eventTypeId: eventType.id,
    range: { start: range.start, end: range.start },
    exclude,
  });
  if (!data) throw notFound(`Event type ${eventType.id} not found.`);
  const decision = decideStart(buildContext(data, data.range ?? range, now.getTime()), range.start, range.end);
  if (decision.ok) return decision;
  throw refusal(decision.reason, data, start, now);
}

function refusal(reason: Exclude<StartDecision, { ok: true }>["reason"], data: AvailabilityData, start: Date, now: Date) {
  const hosts = data.hosts.length;
  switch (reason) {
    case "OUTSIDE_WINDOW": {
      const notice = data.eventType.minimumBookingNotice;
      return start.getTime() < now.getTime() + notice * 60_000
        ? badInput("start", `This event type needs ${notice} minutes of notice.`)
        : badInput("start", "start is outside the event type's booking period.");
    }
    case "BOOKING_LIMIT_REACHED":
      return conflict("BOOKING_LIMIT_REACHED", "The event type's booking limit for this period is reached.");
    case "NOT_AVAILABLE":
      return conflict(
        "NOT_AVAILABLE",
        hosts > 1
          ? "No host has this time in their working hours."
          : "The organizer is not available at this time (outside their working hours).",
      );
    case "SLOT_TAKEN":
      return conflict(
        "SLOT_TAKEN",
        hosts > 1
          ? "No host of this event type is free at this time."
          : "The organizer already has a booking overlapping this time (buffers included).",
      );
  }
}

/**
 * updateBooking moves and confirmBooking: the organizer's busy time (with buffers, attended bookings
 * included) must leave [start, end) free; hours and limits are the organizer's own decision. Takes
 * the organizer's lock first.
 */
export async function assertOrganizerFree(
  m: EntityManager,
  booking: { id: number; userId: number | null; eventTypeId: number | null },
  start: Date,
  end: Date,
): Promise<void> {
  if (booking.userId == null) return;
  await lockOrganizers(m, [booking.userId]);
  const range = { start: start.getTime(), end: end.getTime() };
  const [organizer] = await queryPreparedIn<Record<string, unknown>>(
    m,
    `SELECT u.id, u.email, et.id AS "eventTypeId", COALESCE(et."beforeEventBuffer", 0) AS before, COALESCE(et."afterEventBuffer", 0) AS after
     FROM users u LEFT JOIN "EventType" et ON et.id = $2 WHERE u.id = $1`,
    [booking.userId, booking.eventTypeId],
  );
  if (!organizer) return;
  const eventType = {
    id: (organizer.eventTypeId as number | null) ?? -1,
    beforeEventBuffer: organizer.before as number,
    afterEventBuffer: organizer.after as number,
    // A moved or confirmed booking is a whole booking: every other held booking blocks it.
    seatsPerTimeSlot: null,
  };
  const busy = await loadBusy(
    sqlOf(m),
    eventType,
    [{ userId: organizer.id as number, email: organizer.email as string }],
    range,
    booking.id,
  );
  if (isBusy(hostBusy(busy, eventType), range.start, range.end)) {
    throw conflict("SLOT_TAKEN", "The organizer already has a booking overlapping this time (buffers included).");
  }
}
