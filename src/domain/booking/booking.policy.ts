import { loadUserRecord } from "../../auth/user-viewer";
import { isOrganizationAdmin, viewerFor, type Viewer } from "../../auth/viewer";
import type { RequestContext } from "../../context";
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
 * The building blocks:
 * - organizer: `"Booking"."userId"` is the viewer;
 * - attendee: an attendee's e-mail equals the viewer's, ignoring case;
 * - event-type admin: the viewer owns the booking's event type, or is an accepted ADMIN/OWNER of the
 *   team that owns it;
 * - organization admin: the organizer is an accepted member of an organization the viewer
 *   administers (admin API enabled; every such organization, not only the first).
 */
// Two branches, each an index lookup (an OR of both made the planner scan every event type).
const ADMINISTERED_EVENT_TYPES = `
  SELECT aet."id" FROM "EventType" aet WHERE aet."userId" = :pol_userId
  UNION SELECT tet."id" FROM "EventType" tet JOIN "Membership" tem ON tem."teamId" = tet."teamId"
  WHERE tem."userId" = :pol_userId AND tem."accepted" AND tem."role" IN ('ADMIN', 'OWNER')`;
const ATTENDED_BOOKINGS = `SELECT pa."bookingId" FROM "Attendee" pa WHERE lower(pa."email") = :pol_email`;
const ORGANIZATION_MEMBERS = `SELECT om."userId" FROM "Membership" om WHERE om."teamId" = ANY(:pol_orgIds) AND om."accepted"`;

function params(viewer: Viewer): Record<string, unknown> {
  return { pol_userId: viewer.user.id, pol_email: viewer.user.email.toLowerCase(), pol_orgIds: viewer.adminOrganizationIds };
}

/** Nothing at all. */
const NONE: SqlCondition = { sql: "FALSE", params: {} };
/** A booking token's one booking. */
const tokenBooking = (viewer: Viewer): SqlCondition => ({ sql: `b."uid" = :pol_tokenUid`, params: { pol_tokenUid: viewer.bookingUid } });

/**
 * What each kind of viewer may ask at all, by root field (checked by the gate before anything
 * runs): users everything (the rules below decide which rows); the public viewer (no credential,
 * PUBLIC_BOOKING=true) public event types, their slots and createBooking, anything else
 * UNAUTHENTICATED as without public booking; a booking token its booking (read, cancel,
 * reschedule) and public event types and slots (to pick a new time), any other write FORBIDDEN,
 * any other read FORBIDDEN.
 */
const PUBLIC_FIELDS: Record<string, ReadonlySet<string>> = {
  query: new Set(["eventTypes", "eventType", "slots"]),
  mutation: new Set(["createBooking"]),
};
const TOKEN_FIELDS: Record<string, ReadonlySet<string>> = {
  query: new Set(["eventTypes", "eventType", "slots", "booking", "bookings", "bookingsConnection"]),
  mutation: new Set(["cancelBooking", "rescheduleBooking"]),
};

export type FieldAccess = "allowed" | "unauthenticated" | "forbidden";

/**
 * The viewer to act as when a request books for user `userId` (v1's POST `userId`): system admins
 * for anyone, organization admins for accepted members of the organizations they administer;
 * nobody else, and never as a locked or unknown user (undefined).
 */
export async function mayActAs(ctx: RequestContext, userId: number): Promise<Viewer | undefined> {
  const viewer = ctx.viewer;
  if (!viewer || viewer.kind !== "user") return undefined;
  if (!viewer.isSystemAdmin) {
    if (!isOrganizationAdmin(viewer)) return undefined;
    const member = await ctx.dataSource.query<unknown[]>(
      `SELECT 1 FROM "Membership" m WHERE m."userId" = $1 AND m."teamId" = ANY($2) AND m."accepted"`,
      [userId, viewer.adminOrganizationIds],
    );
    if (member.length === 0) return undefined;
  }
  const record = await loadUserRecord(ctx.dataSource, userId, ctx.store);
  if (!record || record.user.locked) return undefined;
  return viewerFor(record.user, record.adminOrganizationIds);
}

/**
 * A user as a viewer without an account sees them (event-type owners and hosts on a public booking
 * page): the e-mail address is withheld (an empty string) from the public viewer and booking-token
 * holders, so public booking cannot be used to harvest addresses.
 */
export function userAsSeenBy<T extends { email: string }>(viewer: Viewer | undefined, user: T): T {
  if (!viewer || viewer.kind === "user") return user;
  return Object.assign(Object.create(Object.getPrototypeOf(user) as object) as T, user, { email: "" });
}

export function rootFieldAccess(viewer: Viewer, operation: "query" | "mutation" | "subscription", field: string): FieldAccess {
  if (field === "__typename") return "allowed";
  if (viewer.kind === "user") return "allowed";
  if (viewer.kind === "public") return PUBLIC_FIELDS[operation]?.has(field) ? "allowed" : "unauthenticated";
  return TOKEN_FIELDS[operation]?.has(field) ? "allowed" : "forbidden";
}

/**
 * Bookings the viewer may read (alias `b`): organizer ∪ attendee ∪ event-type admin ∪ (organization
 * admins) members' bookings. A UNION of branches that are each an index lookup, instead of an OR
 * tested on every row; still one SQL statement, so paging stays exact.
 */
export function readableBookings(viewer: Viewer): SqlCondition | undefined {
  if (viewer.kind === "public") return NONE;
  if (viewer.kind === "bookingToken") return tokenBooking(viewer);
  if (viewer.isSystemAdmin) return undefined;
  // ARRAY(...) is computed once (an InitPlan), then `= ANY(...)` is an index condition: the planner
  // never falls back to scanning "Booking" to match the ids. The event-type branch is two simple
  // branches (owned; team ADMIN/OWNER) so each is an index lookup.
  const eventTypeBranches = `
      SELECT pe."id" FROM "Booking" pe WHERE pe."eventTypeId" IN (SELECT po."id" FROM "EventType" po WHERE po."userId" = :pol_userId)
      UNION SELECT pt."id" FROM "Booking" pt WHERE pt."eventTypeId" IN (
        SELECT tt."id" FROM "EventType" tt JOIN "Membership" tm ON tm."teamId" = tt."teamId"
        WHERE tm."userId" = :pol_userId AND tm."accepted" AND tm."role" IN ('ADMIN', 'OWNER'))`;
  if (isOrganizationAdmin(viewer)) {
    // An organization's members organize many bookings: test the organizer directly, so a page in
    // start order is read along the (startTime, id) index instead of collecting every member booking.
    return {
      sql: `(b."userId" = ANY(ARRAY(${ORGANIZATION_MEMBERS} UNION SELECT CAST(:pol_userId AS int)))
        OR b.id = ANY(ARRAY(${ATTENDED_BOOKINGS} UNION ${eventTypeBranches})))`,
      params: params(viewer),
    };
  }
  return {
    sql: `b.id = ANY(ARRAY(
      SELECT pb."id" FROM "Booking" pb WHERE pb."userId" = :pol_userId
      UNION ${ATTENDED_BOOKINGS}
      UNION ${eventTypeBranches}))`,
    params: params(viewer),
  };
}

/** Bookings the viewer may update, confirm or reject (alias `b`): organizer ∪ event-type admin ∪ organization admin. */
export function manageableBookings(viewer: Viewer): SqlCondition | undefined {
  if (viewer.kind !== "user") return NONE;
  if (viewer.isSystemAdmin) return undefined;
  const members = isOrganizationAdmin(viewer) ? ` OR b."userId" IN (${ORGANIZATION_MEMBERS})` : "";
  return {
    sql: `(b."userId" = :pol_userId OR b."eventTypeId" IN (${ADMINISTERED_EVENT_TYPES})${members})`,
    params: params(viewer),
  };
}

/** Bookings the viewer may cancel or reschedule (alias `b`): the manageable ones plus those they attend. */
export function cancellableBookings(viewer: Viewer): SqlCondition | undefined {
  if (viewer.kind === "public") return NONE;
  if (viewer.kind === "bookingToken") return tokenBooking(viewer);
  const manageable = manageableBookings(viewer);
  if (!manageable) return undefined;
  return { sql: `(${manageable.sql} OR b.id IN (${ATTENDED_BOOKINGS}))`, params: manageable.params };
}

/**
 * Event types the viewer may book (alias `et`): every non-hidden one; a hidden one only for its
 * owner, an accepted ADMIN/OWNER of its team, an admin of an organization the owner (or the team)
 * belongs to, or a system admin.
 */
export function bookableEventTypes(viewer: Viewer): SqlCondition | undefined {
  if (viewer.kind !== "user") return { sql: `NOT et."hidden"`, params: {} };
  if (viewer.isSystemAdmin) return undefined;
  const organization = isOrganizationAdmin(viewer)
    ? ` OR et."userId" IN (${ORGANIZATION_MEMBERS})
        OR et."teamId" IN (SELECT ot."id" FROM "Team" ot WHERE ot."id" = ANY(:pol_orgIds) OR ot."parentId" = ANY(:pol_orgIds))`
    : "";
  return {
    sql: `(NOT et."hidden" OR et."id" IN (${ADMINISTERED_EVENT_TYPES})${organization})`,
    params: params(viewer),
  };
}

/**
 * Webhooks whose delivery log the viewer may read and redeliver (alias `w`): their own (`userId`),
 * those of an event type they administer, of a team they are an accepted ADMIN/OWNER of, and, for
 * organization admins, those of the organization's members, teams, and their event types.
 */
export function administeredWebhooks(viewer: Viewer): SqlCondition | undefined {
  if (viewer.kind !== "user") return NONE;
  if (viewer.isSystemAdmin) return undefined;
  const orgTeams = `SELECT ot."id" FROM "Team" ot WHERE ot."id" = ANY(:pol_orgIds) OR ot."parentId" = ANY(:pol_orgIds)`;
  const organization = isOrganizationAdmin(viewer)
    ? ` OR w."userId" IN (${ORGANIZATION_MEMBERS}) OR w."teamId" IN (${orgTeams})
        OR w."eventTypeId" IN (SELECT oet."id" FROM "EventType" oet WHERE oet."userId" IN (${ORGANIZATION_MEMBERS}) OR oet."teamId" IN (${orgTeams}))`
    : "";
  return {
    sql: `(w."userId" = :pol_userId OR w."eventTypeId" IN (${ADMINISTERED_EVENT_TYPES})
      OR w."teamId" IN (SELECT wm."teamId" FROM "Membership" wm WHERE wm."userId" = :pol_userId AND wm."accepted" AND wm."role" IN ('ADMIN', 'OWNER'))${organization})`,
    params: params(viewer),
  };
}

/**
 * Organizer ids in `userIds` the viewer may not filter by. System admins may filter by anyone;
 * organization admins by themselves and accepted members of the organizations they administer;
 * everyone else (team admins included) by nobody.
 */
export async function organizersOutsideScope(
  query: (sql: string, parameters: unknown[]) => Promise<Array<{ userId: number }>>,
  viewer: Viewer,
  userIds: number[],
): Promise<number[]> {
  if (viewer.isSystemAdmin) return [];
  if (!isOrganizationAdmin(viewer)) return userIds;
  const wanted = [...new Set(userIds)].filter((id) => id !== viewer.user.id);
  if (wanted.length === 0) return [];
  const rows = await query(
    `SELECT DISTINCT om."userId" FROM "Membership" om WHERE om."teamId" = ANY($1) AND om."accepted" AND om."userId" = ANY($2)`,
    [viewer.adminOrganizationIds, wanted],
  );
  const inScope = new Set(rows.map((r) => r.userId));
  return wanted.filter((id) => !inScope.has(id));
}

/**
 * Secrets of a booking (the instant-meeting token) are for its organizer and admins only:
 * `organizationMemberIds` are the accepted members of the organizations the viewer administers.
 */
export function maySeeBookingSecrets(
  viewer: Viewer,
  booking: Pick<Booking, "userId">,
  organizationMemberIds: ReadonlySet<number>,
): boolean {
  if (viewer.isSystemAdmin || booking.userId === viewer.user.id) return true;
  return booking.userId != null && organizationMemberIds.has(booking.userId);
}

/**
 * How much of a booking a viewer sees, decided once per booking and viewer:
 * - `full`: the organizer, the event type's owner or team admins, organization admins of the
 *   organizer, system admins (who may manage the booking);
 * - `attendee`: someone who reads it only as an attendee: nothing organizer-internal (webhook
 *   triggers and their payloads, workflow reminders, the destination calendar, payment provider
 *   data and ids, calendar credential and external calendar ids);
 * - `seat`: an attendee of a seated booking: as `attendee`, and of the other seat holders nothing
 *   (only their own attendee and seat entries; no `responses`, which are the first booker's).
 */
export type BookingView = "full" | "attendee" | "seat";

/**
 * The viewer's view of booking `b` as an SQL expression (`'full' | 'attendee' | 'seat'`), or
 * undefined when it is `full` for every booking (system admins). Only meaningful for bookings the
 * viewer may read.
 */
export function bookingViewSql(viewer: Viewer): SqlCondition | undefined {
  const manageable = manageableBookings(viewer);
  if (!manageable) return undefined;
  return {
    sql: `CASE WHEN ${manageable.sql} THEN 'full' WHEN ${SEATED_BOOKING} THEN 'seat' ELSE 'attendee' END`,
    params: manageable.params,
  };
}

/**
 * Booking `b` is seated: its event type has seats, or it has seat rows. The event type counts too,
 * so a seated booking whose seats moved away (rescheduled) or all left stays seated for its former
 * seat holders.
 */
export const SEATED_BOOKING = `(EXISTS (SELECT 1 FROM "EventType" vet WHERE vet."id" = b."eventTypeId" AND vet."seatsPerTimeSlot" > 0)
  OR EXISTS (SELECT 1 FROM "BookingSeat" vs WHERE vs."bookingId" = b.id))`;

/** Redactions of each view: what a relation of the booking shows to it (plain functions, passed around as values). */
export const bookingViews = {
  /** `seat`: only the viewer's own attendee entries (same e-mail, ignoring case). */
  attendees: <T extends { email: string }>(view: BookingView, viewer: Viewer, attendees: T[]): T[] => {
    if (view !== "seat") return attendees;
    const email = viewer.user.email.toLowerCase();
    return attendees.filter((a) => a.email.toLowerCase() === email);
  },
  /** `seat`: only the seats of the viewer's own attendee entries. */
  seats: <T extends { attendeeId: number }>(view: BookingView, ownAttendeeIds: ReadonlySet<number>, seats: T[]): T[] => {
    return view === "seat" ? seats.filter((s) => ownAttendeeIds.has(s.attendeeId)) : seats;
  },
  /** The booking form's answers (and the SMS number copied from them) are the first booker's: not for other seat holders. */
  responses: <T>(view: BookingView, responses: T): T | null => {
    return view === "seat" ? null : responses;
  },
  /** Organizer-internal lists (webhook triggers, workflow reminders): empty unless `full`. */
  internalList: <T>(view: BookingView, rows: T[]): T[] => {
    return view === "full" ? rows : [];
  },
  /** Organizer-internal objects (the destination calendar): null unless `full`. */
  internalObject: <T>(view: BookingView, row: T | null): T | null => {
    return view === "full" ? row : null;
  },
  /** Payments without the provider's data and ids unless `full`. */
  payments: <T extends { data: unknown; externalId: string | null }>(view: BookingView, payments: T[]): T[] => {
    return view === "full" ? payments : payments.map((p) => copy(p, { data: null, externalId: null }));
  },
  /** Calendar and video references without credential and external calendar ids unless `full`. */
  references: <T extends { credentialId: number | null; externalCalendarId: string | null }>(view: BookingView, references: T[]): T[] => {
    return view === "full" ? references : references.map((r) => copy(r, { credentialId: null, externalCalendarId: null }));
  },
};

/**
 * The redactions of `bookingViews` as SQL, for the read path (src/read-path), which answers lists in
 * one statement: over a booking row `p` (its view in a column, see bookingViewSql) and a related row
 * `x`. Each entry is the SQL form of the function named beside it; the read path's parity test
 * compares both forms for every view.
 */
export const bookingViewsSql = {
  /** `responses`: these Booking fields are null for `seat`. */
  seatHiddenFields: new Set(["responses", "smsReminderNumber"]),
  /** `internalList` / `internalObject`: these relations are empty (null) unless `full`. */
  fullOnlyRelations: new Set(["destinationCalendar", "workflowReminders", "scheduledTriggers"]),
  /** `payments` / `references`: these columns of related rows are null unless `full`. */
  fullOnlyColumns: {
    Payment: new Set(["data", "externalId"]),
    BookingReference: new Set(["credentialId", "externalCalendarId"]),
  } as Record<string, ReadonlySet<string>>,
  /** `attendees` / `seats`: the related rows a `seat` view keeps (parameters: bookingViewSql's). */
  seatRows: {
    attendees: (x: string) => `lower(${x}."email") = :pol_email`,
    seatsReferences: (x: string, p: string) =>
      `EXISTS (SELECT 1 FROM "Attendee" sa WHERE sa."id" = ${x}."attendeeId" AND sa."bookingId" = ${p}."id" AND lower(sa."email") = :pol_email)`,
  } as Record<string, (x: string, p: string) => string>,
};

/**
 * `maySeeBookingSecrets` as SQL over booking `b`; undefined when the viewer sees every booking's
 * secrets (system admins).
 */
export function bookingSecretsSql(viewer: Viewer): SqlCondition | undefined {
  if (viewer.isSystemAdmin) return undefined;
  const members = isOrganizationAdmin(viewer) ? ` OR b."userId" IN (${ORGANIZATION_MEMBERS})` : "";
  return { sql: `(b."userId" = :pol_userId${members})`, params: params(viewer) };
}

/** A copy of an entity row (same prototype) with some properties replaced. */
function copy<T extends object>(row: T, changes: object): T {
  return Object.assign(Object.create(Object.getPrototypeOf(row) as object | null) as T, row, changes);
}
