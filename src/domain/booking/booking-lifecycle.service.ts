import { v4 as uuidv4 } from "uuid";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import type { RequestContext } from "../../context";
import { Attendee, Booking, BookingStatus, EventType } from "../../entities";
import { forgetBookings } from "../../loaders";
import { assertOrganizerFree, fitBooking } from "../availability/booking-fit";
import { BookingEventType, recordBookingEvents, type BookingEventRecord } from "../events/booking-events";
import { badInput, conflict } from "../errors";
import { createInTransaction } from "./booking-create.service";
import { LIMITS } from "./booking-input";
import { rescheduledTimes, updatedTimes } from "./booking-move";
import { requireViewer } from "./booking-read.service";
import { carrySeats, leaveSeat, seatAt } from "./booking-seats";
import { assertTransition, canTransition, label, SLOT_HOLDING } from "./booking-status";
import { actsAsSeatHolder, checkReason, inTransaction, lockForWrite, withManageToken } from "./booking-write-support";
import { cancellableBookings, SEATED_BOOKING } from "./booking.policy";
import { bookingSlotKey } from "./idempotency";
import { lockSeats, lockSeries } from "./slots";

/**
 * The lifecycle after creation: update, cancel, reschedule, confirm, reject. Each is one
 * transaction; which states may become which is booking-status.ts's transitions table; a move or a
 * confirmation re-checks busy time under the organizer's lock (availability/booking-fit.ts), a
 * reschedule the whole availability rule. A failure rolls everything back.
 */

const { ACCEPTED, PENDING, AWAITING_HOST, CANCELLED, REJECTED } = BookingStatus;

export interface UpdateBookingCommand {
  title?: string | null;
  description?: string | null;
  start?: Date | null;
  end?: Date | null;
  status?: BookingStatus | null;
}

/** Changes title, description, times and/or status (organizer, event-type admins, admins). */
export async function updateBooking(ctx: RequestContext, id: number, cmd: UpdateBookingCommand): Promise<Booking> {
  const viewer = requireViewer(ctx);
  const booking = await inTransaction(ctx, async (m) => {
    const { booking: b } = await lockForWrite(m, viewer, id, "manage");
    const now = new Date();
    const changes: Partial<Booking> = {};
    if (cmd.title != null) {
      if (cmd.title.trim() === "") throw badInput("title", "title must not be empty.");
      if (cmd.title.length > LIMITS.title) throw badInput("title", `title must be at most ${LIMITS.title} characters.`);
      if (cmd.title !== b.title) changes.title = cmd.title;
    }
    if (cmd.description !== undefined && cmd.description !== b.description) {
      if (cmd.description && cmd.description.length > LIMITS.text)
        throw badInput("description", `description must be at most ${LIMITS.text} characters.`);
      changes.description = cmd.description;
    }

    const target = cmd.status ?? b.status;
    assertTransition(b.status, target);

    const moving = cmd.start != null || cmd.end != null;
    let start = b.startTime;
    let end = b.endTime;
    if (moving) {
      if (!SLOT_HOLDING.includes(target) && target !== AWAITING_HOST) {
        throw conflict("INVALID_TRANSITION", `A ${label(target)} booking cannot be moved.`);
      }
      ({ start, end } = updatedTimes(b, cmd.start, cmd.end, now));
      if (start.getTime() === b.startTime.getTime() && end.getTime() === b.endTime.getTime()) {
        // Same times: not a move.
      } else {
        changes.startTime = start;
        changes.endTime = end;
        changes.iCalSequence = b.iCalSequence + 1;
      }
    }

    const statusChanges = target !== b.status;
    const moved = changes.startTime !== undefined;
    // Any move re-checks the slot (AWAITING_HOST too, as reschedule does); so does becoming ACCEPTED.
    if (moved || (statusChanges && target === ACCEPTED)) await assertOrganizerFree(m, b, start, end);

    if (statusChanges) {
      changes.status = target;
      if (target === CANCELLED) {
        changes.cancelledBy = viewer.user.email;
        changes.iCalSequence = (changes.iCalSequence ?? b.iCalSequence) + 1;
      }
    }
    // Cal.com's slot key follows a change of time or status; a row left alone keeps what it has.
    if (moved || statusChanges) {
      const key =
        target === ACCEPTED && b.userId != null
          ? bookingSlotKey(start, end, b.userId)
          : SLOT_HOLDING.includes(target) || target === AWAITING_HOST
            ? b.idempotencyKey
            : null;
      if (key !== b.idempotencyKey) changes.idempotencyKey = key;
    }

    if (Object.keys(changes).length === 0) return b;
    changes.updatedAt = now;
    await m.getRepository(Booking).update({ id: b.id }, changes as QueryDeepPartialEntity<Booking>);
    await recordBookingEvents(m, ctx.bookingEvents, updateEvents(b, changes));
    return Object.assign(b, changes);
  });
  forgetBookings(ctx.loaders, [booking]);
  return booking;
}

/** Cancels (organizer, attendees, event-type admins, admins); with allRemainingBookings, the later occurrences of its series too. */
export async function cancelBooking(
  ctx: RequestContext,
  id: number,
  reason: string | null | undefined,
  allRemainingBookings: boolean,
): Promise<Booking> {
  const viewer = requireViewer(ctx);
  const cancellationReason = checkReason("cancellationReason", reason);
  const { booking, series } = await inTransaction(ctx, async (m) => {
    if (allRemainingBookings) {
      // Series cancels queue on the series before locking any of its rows, so two of them never
      // lock each other's rows in opposite orders (occurrence ids need not follow their times).
      const [row] = await m.query<Array<{ recurringEventId: string | null }>>(`SELECT "recurringEventId" FROM "Booking" WHERE id = $1`, [
        id,
      ]);
      if (row?.recurringEventId) await lockSeries(m, row.recurringEventId);
    }
    const { booking: b, manages } = await lockForWrite(m, viewer, id, "cancel");
    if (b.status === CANCELLED) throw conflict("ALREADY_CANCELLED", "This booking is already cancelled.");
    assertTransition(b.status, CANCELLED);
    if (await actsAsSeatHolder(m, b, manages)) {
      // A seat holder cancels their own seat only; the booking goes with its last seat.
      const { booking: left } = await leaveSeat(m, b, viewer, { cancellationReason, cancelledBy: viewer.user.email });
      await recordBookingEvents(m, ctx.bookingEvents, [seatLeftEvent(left)]);
      return { booking: left, series: [] };
    }
    const now = new Date();
    const fields = { status: CANCELLED, cancellationReason, cancelledBy: viewer.user.email, idempotencyKey: null, updatedAt: now };
    await m.getRepository(Booking).update({ id: b.id }, { ...fields, iCalSequence: b.iCalSequence + 1 });

    let later: Booking[] = [];
    if (allRemainingBookings && b.recurringEventId) {
      const q = m
        .getRepository(Booking)
        .createQueryBuilder("b")
        .where("b.recurringEventId = :series AND b.startTime > :after", { series: b.recurringEventId, after: b.startTime })
        .andWhere(`b.status = ANY(CAST(:open AS "BookingStatus"[]))`, { open: [ACCEPTED, PENDING, AWAITING_HOST] })
        .orderBy("b.id", "ASC")
        .setLock("pessimistic_write");
      const mayCancel = cancellableBookings(viewer);
      if (mayCancel) q.andWhere(mayCancel.sql, mayCancel.params);
      later = await q.getMany();
      if (later.length) {
        await m
          .createQueryBuilder()
          .update(Booking)
          .set({ ...fields, iCalSequence: () => `"iCalSequence" + 1` })
          .where("id IN (:...ids)", { ids: later.map((x) => x.id) })
          .execute();
      }
    }
    await recordBookingEvents(
      m,
      ctx.bookingEvents,
      [b, ...later].map((x) => ({ type: BookingEventType.CANCELLED, bookingId: x.id, trigger: "BOOKING_CANCELLED" as const })),
    );
    return { booking: Object.assign(b, fields, { iCalSequence: b.iCalSequence + 1 }), series: later };
  });
  forgetBookings(ctx.loaders, [booking, ...series]);
  return booking;
}

/**
 * Moves a booking atomically: a new booking at the new time (same event type, organizer, attendees,
 * details; `fromReschedule`, same iCalUID, sequence + 1, same status) and the old one CANCELLED with
 * `rescheduled = true`, in one transaction with the slot check under the organizer's lock.
 */
export async function rescheduleBooking(
  ctx: RequestContext,
  id: number,
  start: Date,
  end: Date | null | undefined,
  reason: string | null | undefined,
): Promise<Booking> {
  const viewer = requireViewer(ctx);
  const note = checkReason("reason", reason);
  const { created, old } = await inTransaction(ctx, async (m) => {
    // A seated booking's seats lock comes before its row (the global lock order, slots.ts): a seat
    // holder's move joins or creates a seated booking under it, as createBooking does.
    const [seated] = await m.query<Array<{ eventTypeId: number }>>(
      `SELECT b."eventTypeId" FROM "Booking" b WHERE b.id = $1 AND b."eventTypeId" IS NOT NULL AND ${SEATED_BOOKING}`,
      [id],
    );
    if (seated) await lockSeats(m, seated.eventTypeId);
    const { booking: b, manages } = await lockForWrite(m, viewer, id, "cancel");
    // A reschedule cancels the old booking: only a booking that may become CANCELLED can move.
    if (!canTransition(b.status, CANCELLED)) {
      throw conflict("INVALID_TRANSITION", `A ${label(b.status)} booking cannot be rescheduled.`);
    }
    const now = new Date();
    const eventType = b.eventTypeId == null ? null : await m.getRepository(EventType).findOne({ where: { id: b.eventTypeId } });
    const { end: newEnd } = rescheduledTimes(b, eventType, start, end, now);
    if (seated && !manages) {
      // A seat holder moves their own seat: out of this booking, into the seated booking at the new
      // time (joined or created, exactly as createBooking would).
      const { left } = await leaveSeat(m, b, viewer, { rescheduled: true, rescheduledBy: viewer.user.email });
      const { booking: moved } = await createInTransaction(m, viewer, seatAt(b, left[0], start, newEnd), uuidv4(), false, now, {
        rescheduling: true,
      });
      const after = await m.getRepository(Booking).findOneOrFail({ where: { id: b.id } });
      // The move is one RESCHEDULED; the booking left behind is UPDATED while seats remain in it.
      const behind: BookingEventRecord[] =
        after.status === CANCELLED ? [] : [{ type: BookingEventType.UPDATED, bookingId: after.id, trigger: null }];
      await recordBookingEvents(m, ctx.bookingEvents, [...behind, rescheduledEvent(moved, b, viewer.user.email)]);
      return { created: moved, old: b };
    }
    // The whole availability rule, as for a new booking; the old booking neither blocks nor counts.
    if (eventType) await fitBooking(m, eventType, start, newEnd, now, { bookingId: b.id, organizerId: b.userId });
    else await assertOrganizerFree(m, b, start, newEnd);

    const repo = m.getRepository(Booking);
    // The old booking first: it gives up its slot key before the new one may take the same slot.
    await repo.update(
      { id: b.id },
      { status: CANCELLED, rescheduled: true, rescheduledBy: viewer.user.email, idempotencyKey: null, updatedAt: now },
    );
    const uid = uuidv4();
    const next = repo.create({
      uid,
      idempotencyKey: b.status === ACCEPTED && b.userId != null ? bookingSlotKey(start, newEnd, b.userId) : null,
      userId: b.userId,
      userPrimaryEmail: b.userPrimaryEmail,
      eventTypeId: b.eventTypeId,
      title: b.title,
      description: b.description,
      customInputs: b.customInputs,
      responses: b.responses,
      startTime: start,
      endTime: newEnd,
      location: b.location,
      createdAt: now,
      updatedAt: now,
      status: b.status,
      paid: b.paid,
      destinationCalendarId: b.destinationCalendarId,
      cancellationReason: note,
      fromReschedule: b.uid,
      smsReminderNumber: b.smsReminderNumber,
      metadata: b.metadata,
      recurringEventId: b.recurringEventId,
      iCalUID: b.iCalUID,
      iCalSequence: b.iCalSequence + 1,
    });
    await repo.save(next);
    const attendees = await m.getRepository(Attendee).find({ where: { bookingId: b.id }, order: { id: "ASC" } });
    if (attendees.length) {
      const inserted = await m.getRepository(Attendee).insert(attendees.map(({ id: _old, ...a }) => ({ ...a, bookingId: next.id })));
      // The seats go with their holders (a seated booking moved as a whole).
      const copies = new Map(attendees.map((a, i) => [a.id, (inserted.identifiers[i] as { id: number }).id]));
      await carrySeats(m, b, next, copies);
    }
    await recordBookingEvents(m, ctx.bookingEvents, [rescheduledEvent(next, b, viewer.user.email)]);
    return { created: next, old: b };
  });
  forgetBookings(ctx.loaders, [created, old]);
  // The new booking's token acts for whoever moved it (a token's holder: the booker; a user:
  // themselves), so what is done with it is recorded in their name, never in someone else's.
  return withManageToken(ctx, created, viewer.user.email);
}

/** PENDING / AWAITING_HOST → ACCEPTED after re-checking the slot; takes Cal.com's slot key. */
export async function confirmBooking(ctx: RequestContext, id: number): Promise<Booking> {
  const viewer = requireViewer(ctx);
  const booking = await inTransaction(ctx, async (m) => {
    const { booking: b } = await lockForWrite(m, viewer, id, "manage");
    if (!canTransition(b.status, ACCEPTED)) {
      throw conflict("INVALID_TRANSITION", `Only PENDING or AWAITING_HOST bookings can be confirmed; this one is ${label(b.status)}.`);
    }
    await assertOrganizerFree(m, b, b.startTime, b.endTime);
    const fields = {
      status: ACCEPTED,
      idempotencyKey: b.userId != null ? bookingSlotKey(b.startTime, b.endTime, b.userId) : null,
      updatedAt: new Date(),
    };
    await m.getRepository(Booking).update({ id: b.id }, fields);
    await recordBookingEvents(m, ctx.bookingEvents, [{ type: BookingEventType.CONFIRMED, bookingId: b.id, trigger: "BOOKING_CREATED" }]);
    return Object.assign(b, fields);
  });
  forgetBookings(ctx.loaders, [booking]);
  return booking;
}

/** PENDING → REJECTED with the reason; frees the slot key. */
export async function rejectBooking(ctx: RequestContext, id: number, reason: string | null | undefined): Promise<Booking> {
  const viewer = requireViewer(ctx);
  const rejectionReason = checkReason("reason", reason);
  const booking = await inTransaction(ctx, async (m) => {
    const { booking: b } = await lockForWrite(m, viewer, id, "manage");
    if (!canTransition(b.status, REJECTED)) {
      throw conflict("INVALID_TRANSITION", `Only PENDING bookings can be rejected; this one is ${label(b.status)}.`);
    }
    const fields = { status: REJECTED, rejectionReason, idempotencyKey: null, updatedAt: new Date() };
    await m.getRepository(Booking).update({ id: b.id }, fields);
    await recordBookingEvents(m, ctx.bookingEvents, [{ type: BookingEventType.REJECTED, bookingId: b.id, trigger: "BOOKING_REJECTED" }]);
    return Object.assign(b, fields);
  });
  forgetBookings(ctx.loaders, [booking]);
  return booking;
}

/**
 * The events of an updateBooking (contract "Booking events"): a status change is CONFIRMED,
 * REJECTED or CANCELLED; a move is UPDATED with BOOKING_RESCHEDULED (the old times kept for the
 * webhook body); title / description alone is UPDATED without a trigger.
 */
function updateEvents(before: Booking, changes: Partial<Booking>): BookingEventRecord[] {
  const events: BookingEventRecord[] = [];
  if (changes.startTime !== undefined) {
    events.push({
      type: BookingEventType.UPDATED,
      bookingId: before.id,
      trigger: "BOOKING_RESCHEDULED",
      data: { rescheduleStartTime: before.startTime.toISOString(), rescheduleEndTime: before.endTime.toISOString() },
    });
  }
  switch (changes.status) {
    case ACCEPTED:
      events.push({ type: BookingEventType.CONFIRMED, bookingId: before.id, trigger: "BOOKING_CREATED" });
      break;
    case REJECTED:
      events.push({ type: BookingEventType.REJECTED, bookingId: before.id, trigger: "BOOKING_REJECTED" });
      break;
    case CANCELLED:
      events.push({ type: BookingEventType.CANCELLED, bookingId: before.id, trigger: "BOOKING_CANCELLED" });
      break;
    default:
      break;
  }
  if (events.length === 0) events.push({ type: BookingEventType.UPDATED, bookingId: before.id, trigger: null });
  return events;
}

/**
 * A seat holder cancelled their seat: UPDATED (the booking goes on), or CANCELLED when it went with
 * its last seat; either way Cal.com's BOOKING_CANCELLED (its seat cancellation notifies the webhooks).
 */
function seatLeftEvent(booking: Booking): BookingEventRecord {
  return {
    type: booking.status === CANCELLED ? BookingEventType.CANCELLED : BookingEventType.UPDATED,
    bookingId: booking.id,
    trigger: "BOOKING_CANCELLED",
  };
}

/** A reschedule: RESCHEDULED on the new booking, pointing to the old one. */
function rescheduledEvent(next: Booking, old: Booking, by: string): BookingEventRecord {
  return {
    type: BookingEventType.RESCHEDULED,
    bookingId: next.id,
    previousBookingId: old.id,
    trigger: "BOOKING_RESCHEDULED",
    data: {
      rescheduleUid: old.uid,
      rescheduleStartTime: old.startTime.toISOString(),
      rescheduleEndTime: old.endTime.toISOString(),
      rescheduledBy: by,
    },
  };
}
