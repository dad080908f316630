import type { Viewer } from "../../auth/viewer";
import type { Booking } from "../../entities";

/** A SQL condition on the `"Booking"` alias `b`, with its named parameters (TypeORM `:name` style). */
export interface SqlCondition {
  sql: string;
  params: Record<string, unknown>;
}

/**
 * Which bookings the viewer may read, as one SQL condition on alias `b`. This is the single rule
 * behind the list, get-one and (later) write paths, so they can never disagree (Cal.com v1's list
 * showed only organizer bookings while its get-one allowed more).
 *
 * - System admin: every booking (`undefined`: no condition).
 * - Everyone else: bookings they organize, attend (e-mail, case-insensitive), whose event type they
 *   own, or whose event type belongs to a team where they are an accepted ADMIN or OWNER.
 *
 * Written as `b.id IN (… UNION …)` so each branch is an index lookup (organizer, attendee e-mail,
 * event type) instead of an OR evaluated against every row.
 */
export function readableBookings(viewer: Viewer): SqlCondition | undefined {
  if (viewer.isSystemAdmin) return undefined;
  return {
    sql: `b.id IN (
      SELECT vb."id" FROM "Booking" vb WHERE vb."userId" = :vis_userId
      UNION
      SELECT va."bookingId" FROM "Attendee" va WHERE lower(va."email") = :vis_email
      UNION
      SELECT ve."id" FROM "Booking" ve WHERE ve."eventTypeId" IN (
        SELECT et."id" FROM "EventType" et
        WHERE et."userId" = :vis_userId
           OR et."teamId" IN (
             SELECT m."teamId" FROM "Membership" m
             WHERE m."userId" = :vis_userId AND m."accepted" AND m."role" IN ('ADMIN', 'OWNER')))
    )`,
    params: { vis_userId: viewer.user.id, vis_email: viewer.user.email.toLowerCase() },
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
