import type { DataSource, EntityTarget, ObjectLiteral } from "typeorm";
import { fetchRowsByKeys, queryPrepared } from "../db/rows";
import type { RequestStore } from "../db/sql-counter";
import type { Viewer } from "../auth/viewer";
import { bookingViewSql, type BookingView } from "../domain/booking/booking.policy";

/**
 * Module-level batch functions for DataLoader: one query per batch, exactly one result per key,
 * in key order (rows re-mapped through a Map), `null` / `[]` for a miss.
 */

/** Rows of `entity` whose primary key `id` is in `ids`. */
export async function loadByIds<T extends ObjectLiteral & { id: number }>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
  ids: readonly number[],
  store?: RequestStore,
): Promise<(T | null)[]> {
  const rows = await fetchRowsByKeys<T>(dataSource, entity, "id", ids, store);
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id) ?? null);
}

/** Rows of `entity` grouped by the foreign key `column` (ordered by id within each group). */
export async function loadManyBy<T extends ObjectLiteral, K extends number | string>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
  column: keyof T & string,
  keys: readonly K[],
  store?: RequestStore,
): Promise<T[][]> {
  const rows = await fetchRowsByKeys<T>(dataSource, entity, column, keys, store);
  const groups = new Map<K, T[]>();
  for (const row of rows) {
    const key = row[column] as K;
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return keys.map((key) => groups.get(key) ?? []);
}

/** The one row of `entity` per foreign key `column` (a unique column), or null. */
export async function loadOneBy<T extends ObjectLiteral, K extends number | string>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
  column: keyof T & string,
  keys: readonly K[],
  store?: RequestStore,
): Promise<(T | null)[]> {
  const groups = await loadManyBy(dataSource, entity, column, keys, store);
  return groups.map((group) => group[0] ?? null);
}

/** Accepted members' user ids of each team / organization. */
export async function loadAcceptedMemberIds(dataSource: DataSource, teamIds: readonly number[], store?: RequestStore): Promise<number[][]> {
  const rows = await queryPrepared<{ teamId: number; userId: number }>(
    dataSource,
    `SELECT "teamId", "userId" FROM "Membership" WHERE "teamId" = ANY($1) AND "accepted" ORDER BY "userId"`,
    [[...teamIds]],
    store,
  );
  const groups = new Map<number, number[]>();
  for (const { teamId, userId } of rows) {
    const group = groups.get(teamId);
    if (group) group.push(userId);
    else groups.set(teamId, [userId]);
  }
  return teamIds.map((id) => groups.get(id) ?? []);
}

/**
 * The viewer's view (booking.policy.ts `bookingViewSql`) of each booking: one statement per batch;
 * the narrowest view (`seat`) for a booking that is not found.
 */
export async function loadBookingViews(
  dataSource: DataSource,
  viewer: Viewer,
  ids: readonly number[],
  store?: RequestStore,
): Promise<BookingView[]> {
  const view = bookingViewSql(viewer);
  if (!view) return ids.map(() => "full");
  const [sql, parameters] = dataSource.driver.escapeQueryWithParameters(
    `SELECT b.id, ${view.sql} AS "view" FROM "Booking" b WHERE b.id = ANY(:viewIds)`,
    { ...view.params, viewIds: [...ids] },
  );
  const rows = await queryPrepared<{ id: number; view: BookingView }>(dataSource, sql, parameters, store);
  const byId = new Map(rows.map((row) => [row.id, row.view]));
  return ids.map((id) => byId.get(id) ?? "seat");
}
