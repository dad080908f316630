import type { SelectQueryBuilder } from "typeorm";
import { isOrganizationAdmin, type Viewer } from "../../auth/viewer";
import type { RequestContext } from "../../context";
import { fetchRows, queryPrepared } from "../../db/rows";
import { primeRelations, readShape, type BookingSelection } from "./booking-includes";
import { Booking, BookingStatus } from "../../entities";
import { badInput, forbidden, notFound, quoteInput, unauthenticated } from "../errors";
import { bookingViewSql, organizersOutsideScope, readableBookings, type BookingView } from "./booking.policy";
import {
  applyOrder, type BookingOrderField, type BookingSort, decodeCursor, encodeCursor, keysetCondition, type OrderDirection,
  positionOf, resolveOrder,
} from "./booking-order";

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

/** One page of bookings; `count` runs the total only when asked for. */
export interface BookingListPage {
  nodes: Booking[];
  page: number | null;
  take: number | null;
  hasNextPage: boolean;
  count: () => Promise<number>;
}

/** One keyset page of bookings (Relay connection shape); `count` runs the total only when asked for. */
export interface BookingConnectionPage {
  edges: Array<{ cursor: string; node: Booking }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  count: () => Promise<number>;
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
async function readableQuery(ctx: RequestContext, viewer: Viewer, filter: BookingListFilter | null | undefined) {
  const qb = ctx.dataSource.getRepository(Booking).createQueryBuilder("b");
  const scope = readableBookings(viewer);
  if (scope) qb.andWhere(scope.sql, scope.params);
  // A transport's extra conditions (REST v1's repeated attendeeEmail) join the filter here.
  const extra = ctx.extraBookingFilter;
  const merged = extra?.attendeeEmails?.length ? { ...filter, attendeeEmails: [...(filter?.attendeeEmails ?? []), ...extra.attendeeEmails] } : filter;
  if (merged) await applyFilter(ctx, qb, viewer, merged);
  return qb;
}

async function applyFilter(ctx: RequestContext, qb: SelectQueryBuilder<Booking>, viewer: Viewer, filter: BookingListFilter) {
  if (filter.userIds != null) {
    const userIds = filter.userIds;
    const outside = await organizersOutsideScope((sql, parameters) => queryPrepared(ctx.dataSource, sql, parameters, ctx.store), viewer, userIds);
    if (outside.length > 0) {
      throw forbidden(
        isOrganizationAdmin(viewer)
          ? `userIds outside the organizations you administer: ${quoteInput(outside)}.`
          : "Only administrators may filter by userIds.",
      );
    }
    qb.andWhere("b.userId = ANY(:f_userIds)", { f_userIds: filter.userIds });
  }
  const emails = [...(filter.attendeeEmail != null ? [filter.attendeeEmail] : []), ...(filter.attendeeEmails ?? [])];
  if (emails.length > MAX_ATTENDEE_EMAILS) throw badInput("filter.attendeeEmails", `At most ${MAX_ATTENDEE_EMAILS} attendee e-mails.`);
  if (emails.length) {
    // Only attendees the viewer may see count: a seat holder must not learn who else holds a seat.
    const view = bookingViewSql(viewer);
    const visible = view ? ` AND (${view.sql} <> 'seat' OR lower(fa."email") = :pol_email)` : "";
    qb.andWhere(
      `EXISTS (SELECT 1 FROM "Attendee" fa WHERE fa."bookingId" = b.id AND lower(fa."email") = ANY(:f_attendeeEmails)${visible})`,
      { f_attendeeEmails: emails.map((e) => e.trim().toLowerCase()), ...view?.params },
    );
  }
  if (filter.status != null) {
    qb.andWhere(`b.status = ANY(CAST(:f_status AS "BookingStatus"[]))`, { f_status: filter.status });
  }
  if (filter.eventTypeIds != null) {
    qb.andWhere("b.eventTypeId = ANY(:f_eventTypeIds)", { f_eventTypeIds: filter.eventTypeIds });
  }
  if (filter.dateFrom != null) qb.andWhere("b.startTime >= :f_dateFrom", { f_dateFrom: filter.dateFrom });
  if (filter.dateTo != null) qb.andWhere("b.endTime <= :f_dateTo", { f_dateTo: filter.dateTo });
}

/**
 * Reads booking rows: only the columns the selection needs, with the selected relations built in
 * the same statement and primed into the request's loaders (see booking-includes.ts).
 */
async function readRows(ctx: RequestContext, qb: SelectQueryBuilder<Booking>, selection?: BookingSelection): Promise<Booking[]> {
  const { columns, included } = readShape(ctx.dataSource, selection);
  // The viewer's view of each row, read in the same statement when a field that depends on it is selected.
  const view = ctx.viewer && selection && VIEW_DEPENDENT.some((f) => selection.fields.has(f)) ? bookingViewSql(ctx.viewer) : undefined;
  if (view) qb.addSelect(view.sql, VIEW_ALIAS).setParameters(view.params);
  const rows = await fetchRows(qb, columns, included, ctx.store);
  primeRelations(ctx.dataSource, ctx.loaders, rows, included);
  if (view) {
    const views = ctx.loaders.bookingViewById;
    for (const row of rows as unknown as Array<Booking & Record<typeof VIEW_ALIAS, BookingView | undefined>>) {
      views.prime(row.id, row[VIEW_ALIAS]!);
      row[VIEW_ALIAS] = undefined;
    }
  }
  return rows;
}

/** Booking fields whose value depends on the viewer's view (booking.policy.ts BookingView). */
const VIEW_DEPENDENT = [
  "attendees", "responses", "smsReminderNumber", "payment", "references", "destinationCalendar", "workflowReminders", "seatsReferences",
  "scheduledTriggers",
];
const VIEW_ALIAS = "__view";

/** `first` of a connection: 1 to MAX_TAKE, DEFAULT_TAKE when absent. */
export function resolveFirst(first?: number | null): number {
  const effective = first ?? DEFAULT_TAKE;
  if (!Number.isInteger(effective) || effective < 1 || effective > MAX_TAKE) {
    throw badInput("first", `first must be between 1 and ${MAX_TAKE}.`);
  }
  return effective;
}

/**
 * The one query behind every booking list (`bookings` and `bookingsConnection`): the viewer's
 * readable bookings, narrowed by the filter (a `userIds` outside the viewer's scope is FORBIDDEN),
 * in a total order. `count` counts every match, ignoring order and paging, and runs only when called.
 */
async function bookingListQuery(ctx: RequestContext, viewer: Viewer, filter: BookingListFilter | null | undefined, sort: BookingSort) {
  const rows = await readableQuery(ctx, viewer, filter);
  const countQuery = rows.clone();
  applyOrder(rows, sort);
  const count = async () => {
    const [sql, parameters] = countQuery.select("count(*)", "count").getQueryAndParameters();
    const [raw] = await queryPrepared<{ count: string }>(ctx.dataSource, sql, parameters, ctx.store);
    return Number(raw?.count ?? 0);
  };
  return { rows, count };
}

/**
 * The viewer's bookings: filtered, in a total order (the sort column, then id in the same direction,
 * nulls last), offset-paged. Fetches one row more than the page to answer `hasNextPage`.
 */
export async function listBookings(ctx: RequestContext, args: BookingListArgs, selection?: BookingSelection): Promise<BookingListPage> {
  const viewer = requireViewer(ctx);
  const paging = resolvePaging(args.take, args.page);
  const { rows: qb, count } = await bookingListQuery(ctx, viewer, args.filter, resolveOrder(args.orderBy));
  // Unpaged: every match up to the cap; one row more tells that there are more than that.
  if (paging) qb.offset((paging.page - 1) * paging.take).limit(paging.take + 1);
  else qb.limit(ctx.maxUnpagedBookings + 1);

  const rows = await readRows(ctx, qb, selection);
  if (!paging && rows.length > ctx.maxUnpagedBookings) {
    throw badInput(
      "take",
      `More than ${ctx.maxUnpagedBookings} bookings match (MAX_UNPAGED_BOOKINGS): page through them with take and page, or narrow the filter.`,
    );
  }
  const hasNextPage = paging ? rows.length > paging.take : false;
  const nodes = paging && hasNextPage ? rows.slice(0, paging.take) : rows;
  return { nodes, page: paging?.page ?? null, take: paging?.take ?? null, hasNextPage, count };
}

/**
 * The viewer's bookings as a keyset-paged connection: the same rows and order as `listBookings`,
 * `first` rows strictly after the `after` cursor (a row-value condition, never OFFSET, so a page
 * costs the same wherever it is). Fetches `first + 1` rows to answer `hasNextPage`; forward-only
 * paging, so `hasPreviousPage` is simply whether `after` was given.
 */
export async function bookingsConnection(
  ctx: RequestContext,
  args: BookingConnectionArgs,
  selection?: BookingSelection,
): Promise<BookingConnectionPage> {
  const viewer = requireViewer(ctx);
  const first = resolveFirst(args.first);
  const sort = resolveOrder(args.orderBy);
  // Decoded before any SQL runs: a bad cursor costs nothing.
  const after = args.after == null ? null : decodeCursor(args.after, sort);
  const { rows: qb, count } = await bookingListQuery(ctx, viewer, args.filter, sort);
  if (after) {
    const keyset = keysetCondition(after);
    qb.andWhere(keyset.sql, keyset.params);
  }
  const rows = await readRows(ctx, qb.limit(first + 1), selection);
  const edges = rows.slice(0, first).map((node) => ({ cursor: encodeCursor(positionOf(node, sort)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    count,
  };
}

/** One booking by id or uid (exactly one); NOT_FOUND when it does not exist or is not readable. */
export async function getBooking(
  ctx: RequestContext,
  by: { id?: number | null; uid?: string | null },
  selection?: BookingSelection,
): Promise<Booking> {
  const viewer = requireViewer(ctx);
  const hasId = by.id != null;
  const hasUid = by.uid != null;
  if (hasId === hasUid) throw badInput(hasId ? "uid" : "id", "Give exactly one of id or uid.");
  const qb = await readableQuery(ctx, viewer, null);
  if (hasId) qb.andWhere("b.id = :id", { id: by.id });
  else qb.andWhere("b.uid = :uid", { uid: by.uid });
  const [booking] = await readRows(ctx, qb.limit(1), selection);
  // Same answer for "does not exist" and "not yours": no existence leak.
  if (!booking) throw notFound(`Booking ${hasId ? by.id : quoteInput(by.uid)} not found.`);
  return booking;
}
