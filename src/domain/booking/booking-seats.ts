import { v4 as uuidv4 } from "uuid";
import type { EntityManager } from "typeorm";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import type { Viewer } from "../../auth/viewer";
import { Attendee, Booking, BookingSeat, BookingStatus, type EventType } from "../../entities";
import { conflict, forbidden } from "../errors";
import type { CreateBookingCommand } from "./booking-input";
import { SEATED_BOOKING } from "./booking.policy";

/**
 * Seated bookings (event types with `seatsPerTimeSlot`): one booking per slot whose attendees each
 * hold a seat (`"BookingSeat"` row). A seat holder acts on their own seat only: cancelling frees it
 * (the booking is cancelled with its last seat), rescheduling moves it into the seated booking at
 * the new time. Moving the whole booking (its organizer) moves every seat with it.
 */

/** True when the booking is seated (booking.policy.ts SEATED_BOOKING). */
export async function isSeated(m: EntityManager, bookingId: number): Promise<boolean> {
  const rows: unknown[] = await m.query(`SELECT 1 FROM "Booking" b WHERE b.id = $1 AND ${SEATED_BOOKING}`, [bookingId]);
  return rows.length > 0;
}

/** True while the booking still has seat rows. */
async function hasSeats(m: EntityManager, bookingId: number): Promise<boolean> {
  const rows: unknown[] = await m.query(`SELECT 1 FROM "BookingSeat" WHERE "bookingId" = $1 LIMIT 1`, [bookingId]);
  return rows.length > 0;
}

/** The viewer's own attendee entries of a booking (their e-mail, ignoring case). */
async function ownAttendees(m: EntityManager, bookingId: number, viewer: Viewer): Promise<Attendee[]> {
  return m
    .getRepository(Attendee)
    .createQueryBuilder("a")
    .where(`a."bookingId" = :bookingId AND lower(a."email") = :email`, { bookingId, email: viewer.user.email.toLowerCase() })
    .orderBy("a.id", "ASC")
    .getMany();
}

/** Adds the booker (and guests) to an existing seated booking, while seats remain. */
export async function joinSeats(
  m: EntityManager,
  booking: Booking,
  eventType: EventType,
  cmd: CreateBookingCommand,
  input: { guests: string[]; language: string; timeZone: string },
  booker: { name: string; email: string },
  uid: string,
): Promise<Booking> {
  const existing = await m.getRepository(Attendee).find({ where: { bookingId: booking.id } });
  const emails = new Set(existing.map((a) => a.email.toLowerCase()));
  const newcomers = [booker.email, ...input.guests];
  // One message for both: it must not tell a stranger whether someone holds a seat here.
  if (newcomers.some((e) => emails.has(e.toLowerCase())) || existing.length + newcomers.length > eventType.seatsPerTimeSlot!) {
    throw conflict("SLOT_TAKEN", "No seat in this slot can be booked for these people (taken, or already held by one of them).");
  }
  const attendees = [{ name: booker.name, email: booker.email }, ...input.guests.map((email) => ({ name: email, email }))].map((p) =>
    m.getRepository(Attendee).create({ ...p, timeZone: input.timeZone, locale: input.language, bookingId: booking.id, noShow: false }),
  );
  await m.getRepository(Attendee).insert(attendees);
  await insertSeats(m, booking, attendees, cmd, uid);
  await m.getRepository(Booking).update({ id: booking.id }, { updatedAt: new Date() });
  return booking;
}

/** One seat per attendee; the first gets `firstUid` as its reference when given (a client idempotency key). */
export async function insertSeats(m: EntityManager, booking: Booking, attendees: Attendee[], cmd: CreateBookingCommand, firstUid?: string) {
  await m.getRepository(BookingSeat).insert(
    attendees.map((a, i) => ({
      referenceUid: i === 0 && firstUid ? firstUid : uuidv4(),
      bookingId: booking.id,
      attendeeId: a.id,
      data: { responses: { name: a.name, email: a.email, ...(i === 0 && cmd.responses.notes ? { notes: cmd.responses.notes } : {}) } },
      metadata: {},
    })),
  );
}

/**
 * A seat holder gives up their seat: their attendee entries and seats are removed; with the last
 * seat the booking becomes CANCELLED (`fields` say how: cancellation or reschedule). Returns the
 * viewer's attendee entries as they were (a reschedule books them again elsewhere).
 */
export async function leaveSeat(
  m: EntityManager,
  booking: Booking,
  viewer: Viewer,
  fields: Partial<Booking>,
): Promise<{ left: Attendee[]; booking: Booking }> {
  const left = await ownAttendees(m, booking.id, viewer);
  if (left.length === 0) throw forbidden("Only a seat holder of this booking may give up a seat.");
  const ids = left.map((a) => a.id);
  await m.query(`DELETE FROM "BookingSeat" WHERE "attendeeId" = ANY($1)`, [ids]);
  await m.query(`DELETE FROM "Attendee" WHERE id = ANY($1)`, [ids]);
  const now = new Date();
  const changes: Partial<Booking> = (await hasSeats(m, booking.id))
    ? { updatedAt: now }
    : { ...fields, status: BookingStatus.CANCELLED, idempotencyKey: null, iCalSequence: booking.iCalSequence + 1, updatedAt: now };
  await m.getRepository(Booking).update({ id: booking.id }, changes as QueryDeepPartialEntity<Booking>);
  return { left, booking: Object.assign(booking, changes) };
}

/** The request that books a seat holder's seat again at another time, as createBooking would. */
export function seatAt(booking: Booking, holder: Attendee, start: Date, end: Date): CreateBookingCommand {
  return {
    eventTypeId: booking.eventTypeId!,
    start,
    end,
    timeZone: holder.timeZone,
    language: holder.locale ?? "en",
    responses: { name: holder.name, email: holder.email },
    recurringEventId: booking.recurringEventId,
  };
}

/**
 * Moves every seat of `from` to `to` (a rescheduled seated booking): the seats keep their reference
 * uids and point at the attendees copied to the new booking (`attendeeIds`: old id → new id).
 */
export async function carrySeats(m: EntityManager, from: Booking, to: Booking, attendeeIds: Map<number, number>): Promise<void> {
  if (attendeeIds.size === 0) return;
  await m.query(
    `UPDATE "BookingSeat" s SET "bookingId" = $1, "attendeeId" = x.next
     FROM unnest($2::int[], $3::int[]) AS x(previous, next)
     WHERE s."bookingId" = $4 AND s."attendeeId" = x.previous`,
    [to.id, [...attendeeIds.keys()], [...attendeeIds.values()], from.id],
  );
}
