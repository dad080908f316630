import type { RequestContext } from "../context";
import { LruMap } from "../cached";
import { queryPrepared } from "../db/rows";
import type { SqlCondition } from "../domain/booking/booking.policy";
import { toPositional, valuesOf, type Positional } from "./bind";

/**
 * What both sides of the read path (the compiled statements and the executor's rows) share: the
 * domain's conditions as one WHERE clause, statement texts cached by query shape, and the count.
 */

/** The domain's conditions on `"Booking" b` as one clause, with all their named parameters. */
export function conditionsOf(where: readonly SqlCondition[]): { sql: string; params: Record<string, unknown> } {
  if (!where.length) return { sql: "TRUE", params: {} };
  let params: Record<string, unknown> = {};
  for (const condition of where) params = { ...params, ...condition.params };
  return { sql: where.map((c) => `(${c.sql})`).join(" AND "), params };
}

/**
 * Statement texts by query shape (the texts of the domain's conditions, the order, the columns a
 * selection needs: never values), numbered for Postgres once; least recently used dropped first.
 */
export class Statements {
  private readonly byShape: LruMap<string, Positional>;
  constructor(max: number) {
    this.byShape = new LruMap<string, Positional>(max);
  }
  get(shape: string, build: () => { sql: string; names: ReadonlySet<string> }): Positional {
    let statement = this.byShape.get(shape);
    if (!statement) {
      const { sql, names } = build();
      statement = toPositional(sql, names);
      this.byShape.set(shape, statement);
    }
    return statement;
  }
}

/** Runs a statement as a named prepared statement (counted against the request) and returns its rows. */
export function runStatement<R>(ctx: RequestContext, statement: Positional, params: Record<string, unknown>): Promise<R[]> {
  return queryPrepared<R>(ctx.dataSource, statement.sql, valuesOf(statement.names, params), ctx.store);
}

/** Count statements by the texts of their conditions. */
const counts = new Statements(500);

/** `totalCount`: the bookings matching the conditions, ignoring order, paging and cursor. */
export async function countBookings(ctx: RequestContext, conditions: readonly SqlCondition[]): Promise<number> {
  const where = conditionsOf(conditions);
  const statement = counts.get(conditions.map((c) => c.sql).join("\n"), () => ({
    sql: `SELECT count(*)::int AS "total" FROM "Booking" b WHERE ${where.sql}`,
    names: new Set(Object.keys(where.params)),
  }));
  const [row] = await runStatement<{ total: number }>(ctx, statement, where.params);
  return row?.total ?? 0;
}
