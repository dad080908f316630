import { isOrganizationAdmin, type Viewer } from "../../auth/viewer";
import type { RequestContext } from "../../context";
import { queryPrepared } from "../../db/rows";
import type { BookingStatus } from "../../entities";
import { badInput, forbidden, notFound, quoteInput, unauthenticated, type DomainError } from "../errors";
import { bookingViewSql, organizersOutsideScope, readableBookings, type SqlCondition } from "./booking.policy";
import {
  type BookingOrderField,
  type BookingSort,
  decodeCursor,
  keysetCondition,
  type OrderDirection,
  resolveOrder,
} from "./booking-order";

/**
 * The booking read queries as the domain defines them: which rows (the viewer's readable bookings,
 * narrowed by the filter), in which order, which page, and the errors of bad arguments, all decided
 * before any row is read. They are data (SQL conditions with named parameters, a sort, numbers):
 * src/read-path turns them and a GraphQL selection into the statement that answers.
 */

/** Largest page a client may ask for. */
export const MAX_TAKE = 250;
/** Most attendee e-mails one list filter may name. */
const MAX_ATTENDEE_EMAILS = 50;
/** Page size when only `page` is given. */
export const DEFAULT_TAKE = 10;

export interface BookingListFilter {
  userIds?: number[] | null;
  attendeeEmail?: string | null;
  /** Any of these attendee e-mails (v1's repeated attendeeEmail); with attendeeEmail, any of all. */
  attendeeEmails?: string[] | null;
  status?: BookingStatus[] | null;
  eventTypeIds?: number[] | null;
  dateFrom?: Date | null;
  dateTo?: Date | null;
}

export interface BookingListOrder {
  field?: BookingOrderField | null;
  direction?: OrderDirection | null;
}

export interface BookingListArgs {
  take?: number | null;
  page?: number | null;
  filter?: BookingListFilter | null;
  orderBy?: BookingListOrder | null;
}

export interface BookingConnectionArgs {
  first?: number | null;
  after?: string | null;
  filter?: BookingListFilter | null;
  orderBy?: BookingListOrder | null;
}

/** Bookings a read returns: every condition holds (alias `b` for `"Booking"`), in `sort`'s total order. */
export interface BookingQuery {
  where: SqlCondition[];
  sort: BookingSort;
}

/** A page of `bookings`: `take` rows from `offset` (`paging` null: unpaged, at most `take` rows or an error). */
export interface BookingListQuery extends BookingQuery {
  paging: { take: number; page: number } | null;
  take: number;
  offset: number;
  /** The error when an unpaged list has more than `take` rows. */
  tooMany: () => DomainError;
}

/** A page of `bookingsConnection`: `first` rows after the cursor (`keyset`, not counted by totalCount). */
export interface BookingConnectionQuery extends BookingQuery {
  first: number;
  keyset: SqlCondition | null;
}

/** One booking by id or uid, and the error when it is not there (or not readable). */
export interface BookingLookupQuery extends BookingQuery {
  notFound: () => DomainError;
}

/** The viewer of an authenticated request (the auth plugin guarantees one before resolvers run). */
export function requireViewer(ctx: RequestContext): Viewer {
  if (!ctx.viewer) throw unauthenticated();
  return ctx.viewer;
}

/** Effective paging: both absent → unpaged; `page` alone → take 10; `take` alone → page 1. */
export function resolvePaging(take?: number | null, page?: number | null): { take: number; page: number } | null {
  if (take == null && page == null) return null;
  const effectiveTake = take ?? DEFAULT_TAKE;
  const effectivePage = page ?? 1;
  if (!Number.isInteger(effectiveTake) || effectiveTake < 1 || effectiveTake > MAX_TAKE) {
    throw badInput("take", `take must be between 1 and ${MAX_TAKE}.`);
  }
  if (!Number.isInteger(effectivePage) || effectivePage < 1) throw badInput("page", "page must be 1 or more.");
  return { take: effectiveTake, page: effectivePage };
}

/** The viewer's readable bookings, narrowed by the filter (alias `b`). */
async function readableWhere(ctx: RequestContext, viewer: Viewer, filter: BookingListFilter | null | undefined): Promise<SqlCondition[]> {
  const where: SqlCondition[] = [];
  const scope = readableBookings(viewer);
  if (scope) where.push(scope);
  // A transport's extra conditions (REST v1's repeated attendeeEmail) join the filter here.
  const extra = ctx.extraBookingFilter;
  const merged = extra?.attendeeEmails?.length
    ? { ...filter, attendeeEmails: [...(filter?.attendeeEmails ?? []), ...extra.attendeeEmails] }
    : filter;
  if (merged) where.push(...(await filterConditions(ctx, viewer, merged)));
  return where;
}

async function filterConditions(ctx: RequestContext, viewer: Viewer, filter: BookingListFilter): Promise<SqlCondition[]> {
  const where: SqlCondition[] = [];
  if (filter.userIds != null) {
    const userIds = filter.userIds;
    const outside = await organizersOutsideScope(
      (sql, parameters) => queryPrepared(ctx.dataSource, sql, parameters, ctx.store),
      viewer,
      userIds,
    );
    if (outside.length > 0) {
      throw forbidden(
        isOrganizationAdmin(viewer)
          ? `userIds outside the organizations you administer: ${quoteInput(outside)}.`
          : "Only administrators may filter by userIds.",
      );
    }
    where.push({ sql: `b."userId" = ANY(:f_userIds)`, params: { f_userIds: filter.userIds } });
  }
  const emails = [...(filter.attendeeEmail != null ? [filter.attendeeEmail] : []), ...(filter.attendeeEmails ?? [])];
  if (emails.length > MAX_ATTENDEE_EMAILS) throw badInput("filter.attendeeEmails", `At most ${MAX_ATTENDEE_EMAILS} attendee e-mails.`);
  if (emails.length) {
    // Only attendees the viewer may see count: a seat holder must not learn who else holds a seat.
    const view = bookingViewSql(viewer);
    const visible = view ? ` AND (${view.sql} <> 'seat' OR lower(fa."email") = :pol_email)` : "";
    where.push({
      sql: `EXISTS (SELECT 1 FROM "Attendee" fa WHERE fa."bookingId" = b."id" AND lower(fa."email") = ANY(:f_attendeeEmails)${visible})`,
      params: { f_attendeeEmails: emails.map((e) => e.trim().toLowerCase()), ...view?.params },
    });
  }
  if (filter.status != null)
    where.push({ sql: `b."status" = ANY(CAST(:f_status AS "BookingStatus"[]))`, params: { f_status: filter.status } });
  if (filter.eventTypeIds != null)
    where.push({ sql: `b."eventTypeId" = ANY(:f_eventTypeIds)`, params: { f_eventTypeIds: filter.eventTypeIds } });
  if (filter.dateFrom != null) where.push({ sql: `b."startTime" >= :f_dateFrom`, params: { f_dateFrom: filter.dateFrom } });
  if (filter.dateTo != null) where.push({ sql: `b."endTime" <= :f_dateTo`, params: { f_dateTo: filter.dateTo } });
  return where;
}

/** `first` of a connection: 1 to MAX_TAKE, DEFAULT_TAKE when absent. */
export function resolveFirst(first?: number | null): number {
  const effective = first ?? DEFAULT_TAKE;
  if (!Number.isInteger(effective) || effective < 1 || effective > MAX_TAKE) {
    throw badInput("first", `first must be between 1 and ${MAX_TAKE}.`);
  }
  return effective;
}

/**
 * `bookings`: the viewer's readable bookings, narrowed by the filter (a `userIds` outside the
 * viewer's scope is FORBIDDEN), in a total order (the sort column, then id in the same direction,
 * nulls last), offset-paged; unpaged, every match up to MAX_UNPAGED_BOOKINGS (more is BAD_USER_INPUT).
 */
export async function bookingListQuery(ctx: RequestContext, args: BookingListArgs): Promise<BookingListQuery> {
  const viewer = requireViewer(ctx);
  const paging = resolvePaging(args.take, args.page);
  const sort = resolveOrder(args.orderBy);
  const where = await readableWhere(ctx, viewer, args.filter);
  const max = ctx.maxUnpagedBookings;
  return {
    where,
    sort,
    paging,
    take: paging?.take ?? max,
    offset: paging ? (paging.page - 1) * paging.take : 0,
    tooMany: () =>
      badInput(
        "take",
        `More than ${max} bookings match (MAX_UNPAGED_BOOKINGS): page through them with take and page, or narrow the filter.`,
      ),
  };
}

/**
 * `bookingsConnection`: the same rows and order as `bookings`, `first` rows strictly after the
 * `after` cursor (a row-value condition, never OFFSET, so a page costs the same wherever it is).
 * Forward-only: `hasPreviousPage` is whether `after` was given.
 */
export async function bookingConnectionQuery(ctx: RequestContext, args: BookingConnectionArgs): Promise<BookingConnectionQuery> {
  const viewer = requireViewer(ctx);
  const first = resolveFirst(args.first);
  const sort = resolveOrder(args.orderBy);
  // Decoded before any SQL runs: a bad cursor costs nothing.
  const after = args.after == null ? null : decodeCursor(args.after, sort);
  const where = await readableWhere(ctx, viewer, args.filter);
  return { where, sort, first, keyset: after ? keysetCondition(after) : null };
}

/** `booking`: one booking by id or uid (exactly one); NOT_FOUND when it does not exist or is not readable. */
export async function bookingLookupQuery(
  ctx: RequestContext,
  by: { id?: number | null; uid?: string | null },
): Promise<BookingLookupQuery> {
  const viewer = requireViewer(ctx);
  const hasId = by.id != null;
  const hasUid = by.uid != null;
  if (hasId === hasUid) throw badInput(hasId ? "uid" : "id", "Give exactly one of id or uid.");
  const where = await readableWhere(ctx, viewer, null);
  where.push(hasId ? { sql: `b."id" = :l_id`, params: { l_id: by.id } } : { sql: `b."uid" = :l_uid`, params: { l_uid: by.uid } });
  // Same answer for "does not exist" and "not yours": no existence leak.
  return { where, sort: resolveOrder(null), notFound: () => notFound(`Booking ${hasId ? by.id : quoteInput(by.uid)} not found.`) };
}
