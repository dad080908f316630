import { createHash } from "node:crypto";
import type { Pool, QueryResultRow } from "pg";
import type { DataSource, EntityTarget, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { countStatement, requestStore } from "./sql-counter";

/**
 * Reading rows without TypeORM's entity hydration, which is a large share of CPU time on list pages.
 * Column values are already typed by node-postgres (integers, booleans, parsed jsonb, UTC dates);
 * rows get the entity class as prototype (no copying), which is what type-graphql checks before it
 * would copy a parent object into a new instance for every field resolver.
 */

function adopt<T>(rows: T[], target: unknown): T[] {
  const prototype = (target as { prototype: object }).prototype;
  for (const row of rows) Object.setPrototypeOf(row, prototype);
  return rows;
}

/** A select expression computed per returned row (after paging), with the property it fills. */
export interface RowExpression {
  sql: string;
  alias: string;
}

/**
 * Runs a select query and returns entity-shaped rows. `properties` limits the columns read (the
 * GraphQL layer passes what the operation selects); by default every mapped column. `expressions`
 * (e.g. JSON subqueries of related rows, referring to the row as `b`) are computed in an outer query
 * over the page only, never for rows an OFFSET skips.
 */
export async function fetchRows<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  properties?: ReadonlySet<string>,
  expressions: RowExpression[] = [],
): Promise<T[]> {
  const alias = qb.alias;
  const metadata = qb.expressionMap.mainAlias!.metadata;
  // The sort columns are read too: the outer query orders by them, cursors are made of them.
  const sorted = Object.keys(qb.expressionMap.orderBys).map((key) => key.slice(key.indexOf(".") + 1));
  qb.select([]);
  for (const column of metadata.columns) {
    if (properties && !properties.has(column.propertyName) && !sorted.includes(column.propertyName)) continue;
    qb.addSelect(`${qb.escape(alias)}.${qb.escape(column.databaseName)}`, column.propertyName);
  }
  let [sql, parameters] = qb.getQueryAndParameters();
  if (expressions.length) {
    // The page's order again, on the inner query's output columns (named by property).
    const order = Object.entries(qb.expressionMap.orderBys).map(([key, how]) => {
      const property = key.slice(key.indexOf(".") + 1);
      const { order: direction, nulls } = typeof how === "string" ? { order: how, nulls: undefined } : how;
      return `"${alias}"."${property}" ${direction}${nulls ? ` ${nulls}` : ""}`;
    });
    sql =
      `SELECT "${alias}".*, ${expressions.map((e) => `${e.sql} AS "${e.alias}"`).join(", ")} FROM (${sql}) "${alias}"` +
      (order.length ? ` ORDER BY ${order.join(", ")}` : "");
  }
  return adopt<T>(await queryPrepared(qb.connection, sql, parameters), metadata.target);
}

const statementNames = new Map<string, string>();

/**
 * Runs a read-only statement as a named prepared statement on the pool TypeORM manages: each
 * connection parses and plans a given text once, and later runs send only the name and the values
 * (list statements carry their JSON relation subqueries, several kilobytes of SQL). The statement is
 * counted like any other. Reads of a query operation go to a replica when there are any.
 */
export async function queryPrepared<R>(dataSource: DataSource, sql: string, parameters: unknown[]): Promise<R[]> {
  let name = statementNames.get(sql);
  if (!name) {
    name = "gw_" + createHash("sha1").update(sql).digest("hex").slice(0, 24);
    if (statementNames.size >= 1_000) statementNames.clear();
    statementNames.set(sql, name);
  }
  const driver = dataSource.driver as unknown as { master: Pool; slaves?: Pool[] };
  const replicas = requestStore.getStore()?.readOnly ? driver.slaves : undefined;
  const pool = replicas?.length ? replicas[Math.floor(Math.random() * replicas.length)] : driver.master;
  countStatement();
  const result = await pool.query<R & QueryResultRow>({ name, text: sql, values: parameters });
  return result.rows;
}

const statements = new WeakMap<DataSource, Map<string, { sql: string; target: unknown }>>();

/**
 * Rows of `entity` whose `column` is any of `keys`, ordered by id: the DataLoader batch query. The
 * SQL text is built once per data source, entity and column, so a batch costs no query building.
 */
export async function fetchRowsByKeys<T extends ObjectLiteral>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
  column: string,
  keys: readonly (number | string)[],
): Promise<T[]> {
  let cache = statements.get(dataSource);
  if (!cache) statements.set(dataSource, (cache = new Map()));
  const metadata = dataSource.getMetadata(entity);
  const cacheKey = `${metadata.tableName}.${column}`;
  let statement = cache.get(cacheKey);
  if (!statement) {
    const keyColumn = metadata.findColumnWithPropertyName(column);
    if (!keyColumn) throw new Error(`${metadata.name} has no column ${column}`);
    const list = metadata.columns.map((c) => `e."${c.databaseName}" AS "${c.propertyName}"`).join(", ");
    const orderBy = metadata.primaryColumns.map((c) => `e."${c.databaseName}"`).join(", ");
    statement = {
      sql: `SELECT ${list} FROM "${metadata.tableName}" e WHERE e."${keyColumn.databaseName}" = ANY($1) ORDER BY ${orderBy}`,
      target: metadata.target,
    };
    cache.set(cacheKey, statement);
  }
  return adopt<T>(await queryPrepared<T>(dataSource, statement.sql, [[...keys]]), statement.target);
}
