import type { EntityManager } from "typeorm";

/**
 * Slot decisions are made inside the mutation's transaction, under a transaction-scoped advisory
 * lock per organizer: two writers for one organizer queue on the lock, and the second sees the
 * first's committed booking. Advisory locks need no table of our own, so the guarantee holds on a
 * database whose schema Cal.com manages, and across any number of gateway instances.
 *
 * **Lock order.** Every transaction takes its locks in one global order, so the gateway's writers
 * never wait on each other in a cycle: the client idempotency key, then the seats of an event type,
 * then the row of the booking being changed (`FOR UPDATE`), then the booking limits of an event type
 * (only when it has limits), then organizers by ascending user id
 * (all candidate hosts of a team event type at once, before any is chosen). A seat holder's
 * reschedule therefore takes the seats lock before the booking's row. A series lock comes first in
 * its transaction, which then locks the series' rows in id order and no advisory lock after. Postgres
 * may still report a deadlock against other applications' writes; such a transaction is run again
 * (db/transaction.ts). The namespace numbers are part of the protocol between instances (a rolling
 * deploy runs old and new side by side): never renumber them. "CAL" 6 and 7 serialize the gateway
 * schema's migrations (db/gateway-schema.ts) and booking-event pruning (events/booking-event-retention.ts).
 */
const LOCK_NAMESPACE_ORGANIZER = 0x43414c01; // "CAL" 1
const LOCK_NAMESPACE_SEATS = 0x43414c02; // "CAL" 2
const LOCK_NAMESPACE_CLIENT_KEY = 0x43414c03; // "CAL" 3
const LOCK_NAMESPACE_SERIES = 0x43414c04; // "CAL" 4
const LOCK_NAMESPACE_LIMITS = 0x43414c05; // "CAL" 5

/** Serializes slot decisions for one organizer until the transaction ends. */
export async function lockOrganizer(m: EntityManager, organizerId: number): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock($1, $2)`, [LOCK_NAMESPACE_ORGANIZER, organizerId]);
}

/** Locks several organizers, in ascending id order (see "Lock order"). */
export async function lockOrganizers(m: EntityManager, organizerIds: readonly number[]): Promise<void> {
  for (const id of [...new Set(organizerIds)].sort((a, b) => a - b)) await lockOrganizer(m, id);
}

/** Serializes seat allocation for one seated event type until the transaction ends. */
export async function lockSeats(m: EntityManager, eventTypeId: number): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock($1, $2)`, [LOCK_NAMESPACE_SEATS, eventTypeId]);
}

/** Serializes requests carrying one client idempotency key, so a repeat sees the first's booking. */
export async function lockClientKey(m: EntityManager, uid: string): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [LOCK_NAMESPACE_CLIENT_KEY, uid]);
}

/** Serializes bookings of an event type with booking limits, so two writers cannot both take its last place in a period. */
export async function lockEventTypeLimits(m: EntityManager, eventTypeId: number): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock($1, $2)`, [LOCK_NAMESPACE_LIMITS, eventTypeId]);
}

/** Serializes changes to a whole recurring series (cancelling its remaining occurrences). */
export async function lockSeries(m: EntityManager, recurringEventId: string): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [LOCK_NAMESPACE_SERIES, recurringEventId]);
}
