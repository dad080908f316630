import type { Viewer } from "../../auth/viewer";
import type { Booking } from "../../entities";

/** A SQL condition with its named parameters (TypeORM `:name` style). */
export interface SqlCondition {
  sql: string;
  params: Record<string, unknown>;
}

/**
 * Who may do what with bookings, written once as SQL so every path (list, get-one, update, cancel,
 * reschedule, confirm, reject, create) applies the same rule (Cal.com v1's list and get-one
 * disagreed). `undefined` means "no restriction" (system admins).
 *
 * The building blocks, for a regular user:
 * - organizer: `"Booking"."userId"` is the viewer;
 * - attendee: an attendee's e-mail equals the viewer's, ignoring case;
 * - event-type admin: the viewer owns the booking's event type, or is an accepted ADMIN/OWNER of the
 *   team that owns it.
 */
const ADMINISTERED_EVENT_TYPES = `
  SELECT et."id" FROM "EventType" et
  WHERE et."userId" = :pol_userId
     OR et."teamId" IN (
       SELECT m."teamId" FROM "Membership" m
       WHERE m."userId" = :pol_userId AND m."accepted" AND m."role" IN ('ADMIN', 'OWNER'))`;
const ATTENDED_BOOKINGS = `SELECT pa."bookingId" FROM "Attendee" pa WHERE lower(pa."email") = :pol_email`;

function params(viewer: Viewer): Record<string, unknown> {
  return { pol_userId: viewer.user.id, pol_email: viewer.user.email.toLowerCase() };
}

/**
 * Bookings the viewer may read (alias `b`): organizer ∪ attendee ∪ event-type admin. Written as
 * `b.id IN (… UNION …)` so each branch is an index lookup instead of an OR tested on every row.
 */
export function readableBookings(viewer: Viewer): SqlCondition | undefined {
  if (viewer.isSystemAdmin) return undefined;
  return {
    sql: `b.id IN (
      SELECT pb."id" FROM "Booking" pb WHERE pb."userId" = :pol_userId
      UNION ${ATTENDED_BOOKINGS}
      UNION SELECT pe."id" FROM "Booking" pe WHERE pe."eventTypeId" IN (${ADMINISTERED_EVENT_TYPES}))`,
    params: params(viewer),
  };
}

/** Bookings the viewer may update, confirm or reject (alias `b`): organizer ∪ event-type admin. */
export function manageableBookings(viewer: Viewer): SqlCondition | undefined {
  if (viewer.isSystemAdmin) return undefined;
  return {
    sql: `(b."userId" = :pol_userId OR b."eventTypeId" IN (${ADMINISTERED_EVENT_TYPES}))`,
    params: params(viewer),
  };
}

/** Bookings the viewer may cancel or reschedule (alias `b`): the manageable ones plus those they attend. */
export function cancellableBookings(viewer: Viewer): SqlCondition | undefined {
  if (viewer.isSystemAdmin) return undefined;
  return {
    sql: `(b."userId" = :pol_userId OR b."eventTypeId" IN (${ADMINISTERED_EVENT_TYPES}) OR b.id IN (${ATTENDED_BOOKINGS}))`,
    params: params(viewer),
  };
}

/**
 * Event types the viewer may book (alias `et`): every non-hidden one; a hidden one only for its
 * owner, an accepted ADMIN/OWNER of its team, or a system admin.
 */
export function bookableEventTypes(viewer: Viewer): SqlCondition | undefined {
  if (viewer.isSystemAdmin) return undefined;
  return {
    sql: `(NOT et."hidden" OR et."id" IN (${ADMINISTERED_EVENT_TYPES.replace(/\bet\b/g, "bet")}))`,
    params: params(viewer),
  };
}

/** Whether the viewer may filter by organizer (`userIds`): system admins only, for now. */
export function mayFilterByOrganizer(viewer: Viewer): boolean {
  return viewer.isSystemAdmin;
}

/** Secrets of a booking (the instant-meeting token) are for its organizer and admins only. */
export function maySeeBookingSecrets(viewer: Viewer, booking: Pick<Booking, "userId">): boolean {
  return viewer.isSystemAdmin || booking.userId === viewer.user.id;
}
