import type { DataSource, EntityMetadata } from "typeorm";
import type { RequestContext } from "../context";
import { cached, LruMap } from "../cached";
import { queryPrepared } from "../db/rows";
import type { SqlCondition } from "../domain/booking/booking.policy";
import { encodeCursor, orderSql, positionOf } from "../domain/booking/booking-order";
import {
  bookingConnectionQuery, bookingListQuery, bookingLookupQuery, type BookingConnectionArgs, type BookingListArgs, type BookingQuery,
} from "../domain/booking/booking-read.service";
import { Booking } from "../entities";
import { toPositional, valuesOf, type Positional } from "./bind";

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

/** Statement texts by query shape, per data source (bounded by the shapes the domain makes: a few per viewer kind). */
const statements = new WeakMap<DataSource, LruMap<string, Positional>>();
const MAX_SHAPES = 500;

function statementFor(dataSource: DataSource, shape: string, build: () => { sql: string; names: Set<string> }): Positional {
  const byShape = cached(statements, dataSource, () => new LruMap<string, Positional>(MAX_SHAPES));
  let statement = byShape.get(shape);
  if (!statement) {
    const { sql, names } = build();
    statement = toPositional(sql, names);
    byShape.set(shape, statement);
  }
  return statement;
}

/** `"Booking"` columns as entity properties (`b`), once per data source. */
const selectLists = new WeakMap<DataSource, string>();
const selectList = (dataSource: DataSource) =>
  cached(selectLists, dataSource, () =>
    dataSource.getMetadata(Booking).columns.map((c) => `b."${c.databaseName}" AS "${c.propertyName}"`).join(", "),
  );

function merged(where: readonly SqlCondition[], extra: Record<string, unknown>) {
  let params: Record<string, unknown> = { ...extra };
  for (const condition of where) params = { ...params, ...condition.params };
  return { sql: where.length ? where.map((c) => `(${c.sql})`).join(" AND ") : "TRUE", params };
}

/** Rows of a query: `limit` rows from `offset`, in its order, as Booking entities. */
async function readRows(ctx: RequestContext, query: BookingQuery, limit: number, offset: number, extra: SqlCondition[] = []): Promise<Booking[]> {
  const where = merged([...query.where, ...extra], { gw_limit: limit, gw_offset: offset });
  const statement = statementFor(ctx.dataSource, `rows ${query.sort.field} ${query.sort.direction}\n${where.sql}`, () => ({
    sql: `SELECT ${selectList(ctx.dataSource)} FROM "Booking" b WHERE ${where.sql} ORDER BY ${orderSql(query.sort)} LIMIT :gw_limit OFFSET :gw_offset`,
    names: new Set(Object.keys(where.params)),
  }));
  const rows = await queryPrepared<Booking>(ctx.dataSource, statement.sql, valuesOf(statement.names, where.params), ctx.store);
  return adopt(rows, ctx.dataSource.getMetadata(Booking));
}

/** Rows get the entity class as prototype (no copying): what type-graphql checks before copying a parent per field. */
function adopt(rows: Booking[], meta: EntityMetadata): Booking[] {
  const prototype = (meta.target as { prototype: object }).prototype;
  for (const row of rows) Object.setPrototypeOf(row, prototype);
  return rows;
}

/** The number of rows of a query, ignoring order and paging. */
async function countRows(ctx: RequestContext, query: BookingQuery): Promise<number> {
  const where = merged(query.where, {});
  const statement = statementFor(ctx.dataSource, `count\n${where.sql}`, () => ({
    sql: `SELECT count(*)::int AS "count" FROM "Booking" b WHERE ${where.sql}`,
    names: new Set(Object.keys(where.params)),
  }));
  const [row] = await queryPrepared<{ count: number }>(ctx.dataSource, statement.sql, valuesOf(statement.names, where.params), ctx.store);
  return row?.count ?? 0;
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
    count: () => countRows(ctx, query),
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
    count: () => countRows(ctx, query),
  };
}

/** `booking` on the executor. */
export async function getBooking(ctx: RequestContext, by: { id?: number | null; uid?: string | null }): Promise<Booking> {
  const query = await bookingLookupQuery(ctx, by);
  const [booking] = await readRows(ctx, query, 1, 0);
  if (!booking) throw query.notFound();
  return booking;
}
