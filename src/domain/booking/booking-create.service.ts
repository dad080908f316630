import { v4 as uuidv4, v5 as uuidv5 } from "uuid";
import type { EntityManager } from "typeorm";
import { bookingTokenViewer, type Viewer } from "../../auth/viewer";
import type { RequestContext } from "../../context";
import { Attendee, Booking, BookingStatus, DestinationCalendar, EventType } from "../../entities";
import { createLoaders, forgetBookings } from "../../loaders";
import { fitBooking } from "../availability/booking-fit";
import { BookingEventType, recordBookingEvents, type BookingEventRecord } from "../events/booking-events";
import { badInput, conflict, notFound } from "../errors";
import { bookingTitle, validateCreate, type CreateBookingCommand } from "./booking-input";
import { requireViewer } from "./booking-read.service";
import { SLOT_HOLDING } from "./booking-status";
import { insertSeats, joinSeats } from "./booking-seats";
import { inTransaction, withManageToken } from "./booking-write-support";
import { bookableEventTypes } from "./booking.policy";
import { bookingSlotKey } from "./idempotency";
import { lockClientKey, lockSeats } from "./slots";

/**
 * createBooking: one transaction that checks the input, decides the start with the availability
 * rules (availability/booking-fit.ts: notice and period, limits, hours, busy time, under the
 * locks), picks the organizer and the hosts who attend, and writes the booking, its attendees and
 * seats. A refusal writes nothing.
 */

const { ACCEPTED, PENDING } = BookingStatus;

/** Shortest idempotencyKey the public viewer may send. */
const MIN_PUBLIC_KEY_LENGTH = 32;

/** Namespace of client idempotency keys: the booking uid is uuidv5("<viewer id>:<key>"). */
const CLIENT_KEY_NAMESPACE = "4b6f7a1e-3c1d-5e2a-9a47-6361c2f0d101";

/** Books an event type (see README "Mutations and booking rules" and "Availability"); with a client idempotencyKey, a repeat returns the first booking. */
export async function createBooking(ctx: RequestContext, cmd: CreateBookingCommand): Promise<Booking> {
  const viewer = requireViewer(ctx);
  const key = cmd.idempotencyKey?.trim();
  // A user's keys are theirs; the public viewer's are scoped by the booker's e-mail (so one
  // anonymous booker cannot fetch another's booking, and its token, by guessing a key).
  const keyOwner = viewer.kind === "user" ? String(viewer.user.id) : `public:${cmd.responses.email.trim().toLowerCase()}`;
  // A repeat answers the first booking with a fresh token: without an account the key is the only
  // secret, so it must be one (at least 32 characters, e.g. a UUID).
  if (key && viewer.kind !== "user" && key.length < MIN_PUBLIC_KEY_LENGTH) {
    throw badInput(
      "idempotencyKey",
      `Without an account, idempotencyKey must be a secret of at least ${MIN_PUBLIC_KEY_LENGTH} characters (e.g. a UUID).`,
    );
  }
  const uid = key ? uuidv5(`${keyOwner}:${key}`, CLIENT_KEY_NAMESPACE) : uuidv4();
  // Requests with one client key queue on a lock for that key; the later ones find the first's booking.
  const booking = await inTransaction(ctx, async (m) => {
    const made = await createInTransaction(m, viewer, cmd, uid, Boolean(key), new Date());
    await recordBookingEvents(m, ctx.bookingEvents, createdEvents(made));
    return made.booking;
  });
  forgetBookings(ctx.loaders, [booking]);
  if (viewer.kind === "public") {
    // Without an account the booker reads the answer as the holder of its token (a seat joined:
    // their own seat's view), as they will read it later with the token.
    ctx.viewer = bookingTokenViewer(booking.uid, cmd.responses.email);
    ctx.loaders = createLoaders(ctx.dataSource, ctx.store, ctx.viewer);
  }
  return withManageToken(ctx, booking, cmd.responses.email);
}

/** What a booking write made: a new booking, a seat in a held one, or nothing (a repeated client key). */
export interface Made {
  booking: Booking;
  outcome: "created" | "joined" | "repeat";
}

/** The events of a create: CREATED / REQUESTED for a new booking, UPDATED for a joined seated one. */
export function createdEvents({ booking, outcome }: Made): BookingEventRecord[] {
  if (outcome === "repeat") return [];
  if (outcome === "joined") return [{ type: BookingEventType.UPDATED, bookingId: booking.id, trigger: "BOOKING_CREATED" }];
  return booking.status === PENDING
    ? [{ type: BookingEventType.REQUESTED, bookingId: booking.id, trigger: "BOOKING_REQUESTED" }]
    : [{ type: BookingEventType.CREATED, bookingId: booking.id, trigger: "BOOKING_CREATED" }];
}

async function findByClientKey(m: EntityManager, uid: string): Promise<Booking | null> {
  return m
    .getRepository(Booking)
    .createQueryBuilder("b")
    .where("b.uid = :uid", { uid })
    .orWhere(`b.id IN (SELECT s."bookingId" FROM "BookingSeat" s WHERE s."referenceUid" = :uid)`, { uid })
    .getOne();
}

export async function createInTransaction(
  m: EntityManager,
  viewer: Viewer,
  cmd: CreateBookingCommand,
  uid: string,
  clientKeyed: boolean,
  now: Date,
  /** A seat holder's reschedule: their right to move the seat was checked; the event type may be hidden. */
  options: { rescheduling?: boolean } = {},
): Promise<Made> {
  if (clientKeyed) {
    await lockClientKey(m, uid);
    const first = await findByClientKey(m, uid);
    if (first) return { booking: first, outcome: "repeat" };
  }

  const etQuery = m.getRepository(EventType).createQueryBuilder("et").where("et.id = :id", { id: cmd.eventTypeId });
  const bookable = options.rescheduling ? undefined : bookableEventTypes(viewer);
  if (bookable) etQuery.andWhere(bookable.sql, bookable.params);
  const eventType = await etQuery.getOne();
  if (!eventType) throw notFound(`Event type ${cmd.eventTypeId} not found.`);

  const input = validateCreate(cmd, eventType, now);
  const status = eventType.requiresConfirmation || eventType.price > 0 ? PENDING : ACCEPTED;
  const booker = { name: cmd.responses.name.trim(), email: cmd.responses.email.trim() };

  let seated: Booking | null = null;
  if (eventType.seatsPerTimeSlot) {
    await lockSeats(m, eventType.id);
    seated = await m
      .getRepository(Booking)
      .createQueryBuilder("b")
      .where("b.eventTypeId = :et AND b.startTime = :start", { et: eventType.id, start: input.start })
      .andWhere(`b.status = ANY(CAST(:held AS "BookingStatus"[]))`, { held: SLOT_HOLDING })
      .orderBy("b.id", "ASC")
      .setLock("pessimistic_write")
      .getOne();
  }
  // Joining a seated booking passes the same rule: its own start stays free while seats remain.
  const fit = await fitBooking(m, eventType, input.start, input.end, now);
  if (seated) return { booking: await joinSeats(m, seated, eventType, cmd, input, booker, uid), outcome: "joined" };

  const organizer = { id: fit.organizer.userId, email: fit.organizer.email, name: fit.organizer.name };
  const bookingUid = clientKeyed && eventType.seatsPerTimeSlot ? uuidv4() : uid;
  const destination = await m
    .getRepository(DestinationCalendar)
    .createQueryBuilder("d")
    .where("d.eventTypeId = :et OR d.userId = :user", { et: eventType.id, user: organizer.id })
    .orderBy(`(d."eventTypeId" IS NOT NULL)`, "DESC")
    .getOne();

  const responses: Record<string, unknown> = { name: booker.name, email: booker.email };
  if (input.location) responses.location = input.location;
  if (input.guests.length) responses.guests = input.guests;
  if (cmd.responses.notes != null) responses.notes = cmd.responses.notes;
  if (cmd.responses.smsReminderNumber != null) responses.smsReminderNumber = cmd.responses.smsReminderNumber;

  const repo = m.getRepository(Booking);
  const booking = repo.create({
    uid: bookingUid,
    idempotencyKey: status === ACCEPTED ? bookingSlotKey(input.start, input.end, organizer.id) : null,
    userId: organizer.id,
    userPrimaryEmail: organizer.email,
    eventTypeId: eventType.id,
    title: cmd.title?.trim() || bookingTitle(eventType, organizer.name ?? organizer.email, booker.name, input.locationText),
    description: cmd.description ?? cmd.responses.notes ?? null,
    responses,
    startTime: input.start,
    endTime: input.end,
    location: input.locationText,
    createdAt: now,
    updatedAt: now,
    status,
    paid: false,
    destinationCalendarId: destination?.id ?? null,
    recurringEventId: cmd.recurringEventId ?? null,
    smsReminderNumber: cmd.responses.smsReminderNumber ?? null,
    metadata: input.metadata,
    iCalUID: `${bookingUid}@Cal.com`,
    iCalSequence: 0,
  });
  await repo.save(booking);

  const people = [
    { ...booker, timeZone: input.timeZone, locale: input.language },
    ...input.guests.map((email) => ({ name: email, email, timeZone: input.timeZone, locale: input.language })),
  ];
  const attendees = people.map((p) => m.getRepository(Attendee).create({ ...p, bookingId: booking.id, noShow: false }));
  // Hosts who attend (collective: every other host; round robin: the other fixed hosts and the
  // chosen one) join as attendees, unless they are already on the list.
  const listed = new Set(people.map((p) => p.email.toLowerCase()));
  const hosts = fit.attending
    .filter((h) => !listed.has(h.email.toLowerCase()))
    .map((h) =>
      m.getRepository(Attendee).create({
        name: h.name ?? h.email,
        email: h.email,
        timeZone: h.timeZone,
        locale: h.locale ?? "en",
        bookingId: booking.id,
        noShow: false,
      }),
    );
  await m.getRepository(Attendee).insert([...attendees, ...hosts]);
  if (eventType.seatsPerTimeSlot) {
    if (attendees.length > eventType.seatsPerTimeSlot) {
      throw conflict("SLOT_TAKEN", `Only ${eventType.seatsPerTimeSlot} seats in this slot.`);
    }
    await insertSeats(m, booking, attendees, cmd, clientKeyed ? uid : undefined);
  }
  return { booking, outcome: "created" };
}
