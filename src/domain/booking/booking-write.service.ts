import { randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import type { Viewer } from "../../auth/viewer";
import type { RequestContext } from "../../context";
import { inTransaction as inDatabaseTransaction } from "../../db/transaction";
import { Attendee, Booking, BookingSeat, BookingStatus, DestinationCalendar, EventType, Host, User } from "../../entities";
import { forgetBookings } from "../../loaders";
import { badInput, conflict, forbidden, notFound } from "../errors";
import { bookingTitle, LIMITS, validateCreate, type CreateBookingCommand } from "./booking-input";
import { requireViewer } from "./booking-read.service";
import { assertTransition, label, SLOT_HOLDING } from "./booking-status";
import { bookableEventTypes, cancellableBookings, manageableBookings, readableBookings, SEATED_BOOKING } from "./booking.policy";
import { bookingSlotKey, uuidv5 } from "./idempotency";
import { bufferedRange, findOverlap, lockClientKey, lockOrganizer, lockOrganizers, lockSeats, lockSeries } from "./slots";
import { rescheduledTimes, updatedTimes } from "./booking-move";
import { carrySeats, insertSeats, isSeated, joinSeats, leaveSeat, seatAt } from "./booking-seats";

/**
 * The booking lifecycle: create, update, cancel, reschedule, confirm, reject. Each is one
 * transaction; slot conflicts are decided inside it under the organizer's lock; a failure rolls
 * everything back. Every write checks the same policy conditions the read paths use.
 */

const { ACCEPTED, PENDING, AWAITING_HOST, CANCELLED, REJECTED } = BookingStatus;

/** Namespace of client idempotency keys: the booking uid is uuidv5("<viewer id>:<key>"). */
const CLIENT_KEY_NAMESPACE = "4b6f7a1e-3c1d-5e2a-9a47-6361c2f0d101";

export interface UpdateBookingCommand {
  title?: string | null;
  description?: string | null;
  start?: Date | null;
  end?: Date | null;
  status?: BookingStatus | null;
}

/**
 * Runs `work` in one transaction bound to the request's deadline, retried on deadlock or
 * serialization failure (db/transaction.ts), and maps a lost race on Cal.com's slot key to SLOT_TAKEN.
 */
async function inTransaction<T>(ctx: RequestContext, work: (m: EntityManager) => Promise<T>): Promise<T> {
  try {
    return await inDatabaseTransaction(ctx.dataSource, ctx.store, work);
  } catch (err) {
    if (uniqueViolationOn(err, "idempotencyKey")) {
      throw conflict("SLOT_TAKEN", "The organizer already has a booking in this slot.");
    }
    throw err;
  }
}

/** True for a Postgres unique violation on the given column. */
function uniqueViolationOn(err: unknown, column: string): boolean {
  const driver = (err as { driverError?: { code?: string; detail?: string } }).driverError ?? (err as { code?: string; detail?: string });
  return driver?.code === "23505" && new RegExp(`Key \\("?${column}"?\\)`).test(driver.detail ?? "");
}

/**
 * Locks a booking row for a write and checks the viewer's right to it: NOT_FOUND when they may not
 * even read it (no existence leak), FORBIDDEN when they may read but not do this. `manages`: the
 * viewer may manage the booking (not only cancel it as an attendee).
 */
async function lockForWrite(
  m: EntityManager,
  viewer: Viewer,
  id: number,
  scope: "manage" | "cancel",
): Promise<{ booking: Booking; manages: boolean }> {
  const qb = m.getRepository(Booking).createQueryBuilder("b").where("b.id = :id", { id }).setLock("pessimistic_write");
  const readable = readableBookings(viewer);
  if (readable) qb.andWhere(readable.sql, readable.params);
  const manageable = manageableBookings(viewer);
  const allowed = scope === "manage" ? manageable : cancellableBookings(viewer);
  qb.addSelect(allowed ? allowed.sql : "TRUE", "allowed").setParameters(allowed?.params ?? {});
  qb.addSelect(manageable ? manageable.sql : "TRUE", "manages").setParameters(manageable?.params ?? {});
  const { entities, raw } = await qb.getRawAndEntities<{ allowed: boolean; manages: boolean }>();
  if (entities.length === 0) throw notFound(`Booking ${id} not found.`);
  if (!raw[0].allowed) {
    throw forbidden(
      scope === "manage"
        ? "Only the organizer, the event type's owner or team admins, and administrators may change this booking."
        : "Only the organizer, attendees, the event type's owner or team admins, and administrators may cancel this booking.",
    );
  }
  return { booking: entities[0], manages: raw[0].manages };
}

/** True when the viewer acts on a seated booking only as one of its seat holders (their own seat, then). */
async function actsAsSeatHolder(m: EntityManager, booking: Booking, manages: boolean): Promise<boolean> {
  return !manages && (await isSeated(m, booking.id));
}

async function eventTypeBuffers(m: EntityManager, eventTypeId: number | null) {
  if (eventTypeId == null) return null;
  return m.getRepository(EventType).findOne({ where: { id: eventTypeId }, select: { id: true, beforeEventBuffer: true, afterEventBuffer: true } });
}

/** Under the organizer's lock: SLOT_TAKEN when [start, end) plus the event type's buffers overlaps another held slot. */
async function claimSlot(
  m: EntityManager,
  booking: Pick<Booking, "id" | "userId" | "eventTypeId">,
  start: Date,
  end: Date,
  /** The booking's event type when the caller has read it already (else its buffers are read here). */
  eventType?: Pick<EventType, "beforeEventBuffer" | "afterEventBuffer"> | null,
) {
  if (booking.userId == null) return;
  await lockOrganizer(m, booking.userId);
  const buffers = eventType !== undefined ? eventType : await eventTypeBuffers(m, booking.eventTypeId);
  const range = bufferedRange(start, end, buffers);
  if ((await findOverlap(m, booking.userId, range.start, range.end, booking.id)) !== null) {
    throw conflict("SLOT_TAKEN", "The organizer already has an accepted or pending booking overlapping this time.");
  }
}

function checkReason(field: string, reason: string | null | undefined): string | null {
  if (reason == null) return null;
  if (reason.length > LIMITS.text) throw badInput(field, `${field} must be at most ${LIMITS.text} characters.`);
  return reason;
}

// ---------------------------------------------------------------------------------------------
// create

/** Books an event type (see README "Booking rules"); with a client idempotencyKey, a repeat returns the first booking. */
export async function createBooking(ctx: RequestContext, cmd: CreateBookingCommand): Promise<Booking> {
  const viewer = requireViewer(ctx);
  const key = cmd.idempotencyKey?.trim();
  const uid = key ? uuidv5(`${viewer.user.id}:${key}`, CLIENT_KEY_NAMESPACE) : randomUUID();
  // Requests with one client key queue on a lock for that key; the later ones find the first's booking.
  const booking = await inTransaction(ctx, (m) => createInTransaction(m, viewer, cmd, uid, Boolean(key), new Date()));
  forgetBookings(ctx.loaders, [booking]);
  return booking;
}

async function findByClientKey(m: EntityManager, uid: string): Promise<Booking | null> {
  return m
    .getRepository(Booking)
    .createQueryBuilder("b")
    .where("b.uid = :uid", { uid })
    .orWhere(`b.id IN (SELECT s."bookingId" FROM "BookingSeat" s WHERE s."referenceUid" = :uid)`, { uid })
    .getOne();
}

async function createInTransaction(
  m: EntityManager,
  viewer: Viewer,
  cmd: CreateBookingCommand,
  uid: string,
  clientKeyed: boolean,
  now: Date,
): Promise<Booking> {
  if (clientKeyed) {
    await lockClientKey(m, uid);
    const first = await findByClientKey(m, uid);
    if (first) return first;
  }

  const etQuery = m.getRepository(EventType).createQueryBuilder("et").where("et.id = :id", { id: cmd.eventTypeId });
  const bookable = bookableEventTypes(viewer);
  if (bookable) etQuery.andWhere(bookable.sql, bookable.params);
  const eventType = await etQuery.getOne();
  if (!eventType) throw notFound(`Event type ${cmd.eventTypeId} not found.`);

  const input = validateCreate(cmd, eventType, now);
  const status = eventType.requiresConfirmation || eventType.price > 0 ? PENDING : ACCEPTED;
  const booker = { name: cmd.responses.name.trim(), email: cmd.responses.email.trim() };

  if (eventType.seatsPerTimeSlot) {
    await lockSeats(m, eventType.id);
    const seated = await m
      .getRepository(Booking)
      .createQueryBuilder("b")
      .where("b.eventTypeId = :et AND b.startTime = :start", { et: eventType.id, start: input.start })
      .andWhere(`b.status = ANY(CAST(:held AS "BookingStatus"[]))`, { held: SLOT_HOLDING })
      .orderBy("b.id", "ASC")
      .setLock("pessimistic_write")
      .getOne();
    if (seated) return joinSeats(m, seated, eventType, cmd, input, booker, uid);
  }

  const organizer = await chooseOrganizer(m, eventType, input.start, input.end);
  const bookingUid = clientKeyed && eventType.seatsPerTimeSlot ? randomUUID() : uid;
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
  await m.getRepository(Attendee).insert(attendees);
  if (eventType.seatsPerTimeSlot) {
    if (attendees.length > eventType.seatsPerTimeSlot) {
      throw conflict("SLOT_TAKEN", `Only ${eventType.seatsPerTimeSlot} seats in this slot.`);
    }
    await insertSeats(m, booking, attendees, cmd, clientKeyed ? uid : undefined);
  }
  return booking;
}

/** Organizer: the event type's owner; for a team event type, the first free host (fixed first, then priority, weight, id). */
async function chooseOrganizer(m: EntityManager, eventType: EventType, start: Date, end: Date): Promise<User> {
  const range = bufferedRange(start, end, eventType);
  let candidates: User[];
  if (eventType.userId != null) {
    const owner = await m.getRepository(User).findOne({ where: { id: eventType.userId } });
    if (!owner) throw notFound(`Event type ${eventType.id} not found.`);
    candidates = [owner];
  } else {
    candidates = await m
      .getRepository(User)
      .createQueryBuilder("u")
      .innerJoin(Host, "h", "h.userId = u.id")
      .where("h.eventTypeId = :et", { et: eventType.id })
      .andWhere("NOT u.locked")
      .orderBy("h.isFixed", "DESC")
      .addOrderBy("h.priority", "DESC", "NULLS LAST")
      .addOrderBy("h.weight", "DESC", "NULLS LAST")
      .addOrderBy("u.id", "ASC")
      .getMany();
  }
  // Every candidate is locked first, in ascending id order (the global lock order: see slots.ts), so
  // event types whose host orders differ cannot deadlock each other; then the host order decides.
  await lockOrganizers(m, candidates.map((c) => c.id));
  for (const candidate of candidates) {
    if ((await findOverlap(m, candidate.id, range.start, range.end)) === null) return candidate;
  }
  throw conflict(
    "SLOT_TAKEN",
    candidates.length > 1 ? "No host of this event type is free at this time." : "The organizer already has an accepted or pending booking overlapping this time.",
  );
}

// ---------------------------------------------------------------------------------------------
// update, cancel, reschedule, confirm, reject

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
      if (cmd.description && cmd.description.length > LIMITS.text) throw badInput("description", `description must be at most ${LIMITS.text} characters.`);
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
    if (moved || (statusChanges && target === ACCEPTED)) await claimSlot(m, b, start, end);

    if (statusChanges) {
      changes.status = target;
      if (target === CANCELLED) {
        changes.cancelledBy = viewer.user.email;
        changes.iCalSequence = (changes.iCalSequence ?? b.iCalSequence) + 1;
      }
    }
    // Cal.com's slot key follows a change of time or status; a row left alone keeps what it has.
    if (moved || statusChanges) {
      const key = target === ACCEPTED && b.userId != null ? bookingSlotKey(start, end, b.userId) : SLOT_HOLDING.includes(target) || target === AWAITING_HOST ? b.idempotencyKey : null;
      if (key !== b.idempotencyKey) changes.idempotencyKey = key;
    }

    if (Object.keys(changes).length === 0) return b;
    changes.updatedAt = now;
    await m.getRepository(Booking).update({ id: b.id }, changes as QueryDeepPartialEntity<Booking>);
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
      const [row] = await m.query(`SELECT "recurringEventId" FROM "Booking" WHERE id = $1`, [id]);
      if (row?.recurringEventId) await lockSeries(m, row.recurringEventId as string);
    }
    const { booking: b, manages } = await lockForWrite(m, viewer, id, "cancel");
    if (b.status === CANCELLED) throw conflict("ALREADY_CANCELLED", "This booking is already cancelled.");
    assertTransition(b.status, CANCELLED);
    if (await actsAsSeatHolder(m, b, manages)) {
      // A seat holder cancels their own seat only; the booking goes with its last seat.
      const { booking: left } = await leaveSeat(m, b, viewer, { cancellationReason, cancelledBy: viewer.user.email });
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
    const [seated] = await m.query(
      `SELECT b."eventTypeId" FROM "Booking" b WHERE b.id = $1 AND b."eventTypeId" IS NOT NULL AND ${SEATED_BOOKING}`,
      [id],
    );
    if (seated) await lockSeats(m, seated.eventTypeId as number);
    const { booking: b, manages } = await lockForWrite(m, viewer, id, "cancel");
    if (![ACCEPTED, PENDING, AWAITING_HOST].includes(b.status)) {
      throw conflict("INVALID_TRANSITION", `A ${label(b.status)} booking cannot be rescheduled.`);
    }
    const now = new Date();
    const eventType = b.eventTypeId == null ? null : await m.getRepository(EventType).findOne({ where: { id: b.eventTypeId } });
    const { end: newEnd } = rescheduledTimes(b, eventType, start, end, now);
    if (seated && !manages) {
      // A seat holder moves their own seat: out of this booking, into the seated booking at the new
      // time (joined or created, exactly as createBooking would).
      const { left } = await leaveSeat(m, b, viewer, { rescheduled: true, rescheduledBy: viewer.user.email });
      const moved = await createInTransaction(m, viewer, seatAt(b, left[0], start, newEnd), randomUUID(), false, now);
      return { created: moved, old: b };
    }
    await claimSlot(m, b, start, newEnd, eventType); // ignores the old booking itself

    const repo = m.getRepository(Booking);
    // The old booking first: it gives up its slot key before the new one may take the same slot.
    await repo.update({ id: b.id }, { status: CANCELLED, rescheduled: true, rescheduledBy: viewer.user.email, idempotencyKey: null, updatedAt: now });
    const uid = randomUUID();
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
      const inserted = await m.getRepository(Attendee).insert(
        attendees.map(({ id: _old, ...a }) => ({ ...a, bookingId: next.id })),
      );
      // The seats go with their holders (a seated booking moved as a whole).
      const copies = new Map(attendees.map((a, i) => [a.id, (inserted.identifiers[i] as { id: number }).id]));
      await carrySeats(m, b, next, copies);
    }
    return { created: next, old: b };
  });
  forgetBookings(ctx.loaders, [created, old]);
  return created;
}

/** PENDING / AWAITING_HOST → ACCEPTED after re-checking the slot; takes Cal.com's slot key. */
export async function confirmBooking(ctx: RequestContext, id: number): Promise<Booking> {
  const viewer = requireViewer(ctx);
  const booking = await inTransaction(ctx, async (m) => {
    const { booking: b } = await lockForWrite(m, viewer, id, "manage");
    if (b.status !== PENDING && b.status !== AWAITING_HOST) {
      throw conflict("INVALID_TRANSITION", `Only PENDING or AWAITING_HOST bookings can be confirmed; this one is ${label(b.status)}.`);
    }
    await claimSlot(m, b, b.startTime, b.endTime);
    const fields = {
      status: ACCEPTED,
      idempotencyKey: b.userId != null ? bookingSlotKey(b.startTime, b.endTime, b.userId) : null,
      updatedAt: new Date(),
    };
    await m.getRepository(Booking).update({ id: b.id }, fields);
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
    if (b.status !== PENDING) {
      throw conflict("INVALID_TRANSITION", `Only PENDING bookings can be rejected; this one is ${label(b.status)}.`);
    }
    const fields = { status: REJECTED, rejectionReason, idempotencyKey: null, updatedAt: new Date() };
    await m.getRepository(Booking).update({ id: b.id }, fields);
    return Object.assign(b, fields);
  });
  forgetBookings(ctx.loaders, [booking]);
  return booking;
}
