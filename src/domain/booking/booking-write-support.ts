import type { EntityManager } from "typeorm";
import type { Viewer } from "../../auth/viewer";
import type { RequestContext } from "../../context";
import { inTransaction as inDatabaseTransaction } from "../../db/transaction";
import { Booking } from "../../entities";
import { badInput, conflict, forbidden, notFound } from "../errors";
import { LIMITS } from "./booking-input";
import { isSeated } from "./booking-seats";
import { cancellableBookings, manageableBookings, readableBookings } from "./booking.policy";

/**
 * What every booking write shares: the transaction (bound to the request's deadline, with the slot
 * key's unique violation mapped to SLOT_TAKEN), the locked read of the booking being changed with the
 * viewer's rights to it, and the checks of free-text reasons.
 */

/**
 * Runs `work` in one transaction bound to the request's deadline, retried on deadlock or
 * serialization failure (db/transaction.ts), and maps a lost race on Cal.com's slot key to SLOT_TAKEN.
 */
export async function inTransaction<T>(ctx: RequestContext, work: (m: EntityManager) => Promise<T>): Promise<T> {
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
export async function lockForWrite(
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
export async function actsAsSeatHolder(m: EntityManager, booking: Booking, manages: boolean): Promise<boolean> {
  return !manages && (await isSeated(m, booking.id));
}

export function checkReason(field: string, reason: string | null | undefined): string | null {
  if (reason == null) return null;
  if (reason.length > LIMITS.text) throw badInput(field, `${field} must be at most ${LIMITS.text} characters.`);
  return reason;
}

/**
 * The answer of the createBooking / rescheduleBooking that made `booking`: with its booking token
 * for `bookerEmail` (contract "Browser access"; every other read answers null).
 */
export function withManageToken(ctx: RequestContext, booking: Booking, bookerEmail: string | null | undefined): Booking {
  if (ctx.bookingTokens?.enabled && bookerEmail) booking.manageToken = ctx.bookingTokens.issue(booking.uid, bookerEmail);
  return booking;
}
