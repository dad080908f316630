import type { DataSource } from "typeorm";
import type { RequestContext } from "../context";
import { cached } from "../cached";
import { adopt } from "../db/rows";
import type { SqlCondition } from "../domain/booking/booking.policy";
import { encodeCursor, orderSql, positionOf } from "../domain/booking/booking-order";
import {
  bookingConnectionQuery,
  bookingListQuery,
  bookingLookupQuery,
  type BookingConnectionArgs,
  type BookingListArgs,
  type BookingQuery,
} from "../domain/booking/booking-read.service";
import { Booking } from "../entities";
import { conditionsOf, countBookings, runStatement, Statements } from "./booking-statements";

/**
 * The executor's side of the read path: booking rows as entities, for the operations the compiler
 * leaves to the resolvers (README.md, "the executor"). The same domain queries as the compiled
 * statements; every column is read (one statement text per query shape, whatever the selection),
 * and the resolvers load relations through the request's DataLoaders.
 */

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

/** The executor's row statements by query shape (a few per viewer kind and order). */
const statements = new Statements(500);

/** `"Booking"` columns as entity properties (`b`), once per data source. */
const selectLists = new WeakMap<DataSource, string>();
const selectList = (dataSource: DataSource) =>
  cached(selectLists, dataSource, () =>
    dataSource
      .getMetadata(Booking)
      .columns.map((c) => `b."${c.databaseName}" AS "${c.propertyName}"`)
      .join(", "),
  );

/** Rows of a query: `limit` rows from `offset`, in its order, as Booking entities. */
async function readRows(
  ctx: RequestContext,
  query: BookingQuery,
  limit: number,
  offset: number,
  extra: SqlCondition[] = [],
): Promise<Booking[]> {
  const where = conditionsOf([...query.where, ...extra]);
  const params = { ...where.params, gw_limit: limit, gw_offset: offset };
  const statement = statements.get(`${query.sort.field} ${query.sort.direction}\n${where.sql}`, () => ({
    sql: `SELECT ${selectList(ctx.dataSource)} FROM "Booking" b WHERE ${where.sql} ORDER BY ${orderSql(query.sort)} LIMIT :gw_limit OFFSET :gw_offset`,
    names: new Set(Object.keys(params)),
  }));
  return adopt(await runStatement<Booking>(ctx, statement, params), Booking);
}

/** `bookings` on the executor: one row more than the page answers `hasNextPage`. */
export async function listBookings(ctx: RequestContext, args: BookingListArgs): Promise<BookingListPage> {
  const query = await bookingListQuery(ctx, args);
  const rows = await readRows(ctx, query, query.take + 1, query.offset);
  const more = rows.length > query.take;
  if (more && !query.paging) throw query.tooMany();
  return {
    nodes: more ? rows.slice(0, query.take) : rows,
    page: query.paging?.page ?? null,
    take: query.paging?.take ?? null,
    hasNextPage: query.paging ? more : false,
    count: () => countBookings(ctx, query.where),
  };
}

/** `bookingsConnection` on the executor. */
export async function bookingsConnection(ctx: RequestContext, args: BookingConnectionArgs): Promise<BookingConnectionPage> {
  const query = await bookingConnectionQuery(ctx, args);
  const rows = await readRows(ctx, query, query.first + 1, 0, query.keyset ? [query.keyset] : []);
  const edges = rows.slice(0, query.first).map((node) => ({ cursor: encodeCursor(positionOf(node, query.sort)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > query.first,
      hasPreviousPage: query.keyset !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    count: () => countBookings(ctx, query.where),
  };
}

/** `booking` on the executor. */
export async function getBooking(ctx: RequestContext, by: { id?: number | null; uid?: string | null }): Promise<Booking> {
  const query = await bookingLookupQuery(ctx, by);
  const [booking] = await readRows(ctx, query, 1, 0);
  if (!booking) throw query.notFound();
  return booking;
}
