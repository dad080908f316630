import { createHash } from "node:crypto";
import type { Pool, QueryResultRow } from "pg";
import type { DataSource, EntityTarget, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import { countStatement, requestStore } from "./sql-counter";
import { parseUtcTimestamp } from "./utc";

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

/** Column types whose JSON form node-postgres would parse to the same JavaScript value (timestamps aside). */
const JSON_SAFE_TYPES = new Set(["int", "integer", "Number", "text", "varchar", "String", "boolean", "Boolean", "enum", "json", "jsonb", "uuid", "timestamp"]);

const typeName = (column: ColumnMetadata) => (typeof column.type === "function" ? column.type.name : String(column.type));

/**
 * Runs a select query and returns entity-shaped rows. `properties` limits the columns read (the
 * GraphQL layer passes what the operation selects); by default every mapped column. `expressions`
 * (e.g. JSON subqueries of related rows, referring to the row as `b`) are computed in an outer query
 * over the page only, never for rows an OFFSET skips.
 *
 * When every column read has a JSON form equal to what node-postgres would make of it, Postgres
 * returns the whole page as one JSON array: one JSON.parse instead of a parse per column per row
 * (the largest single item of the gateway's own CPU time on a list page). Timestamps then arrive
 * as text and become UTC Dates here, exactly as the driver's parser would make them.
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
  const columns = metadata.columns.filter((c) => !properties || properties.has(c.propertyName) || sorted.includes(c.propertyName));
  qb.select([]);
  for (const column of columns) {
    qb.addSelect(`${qb.escape(alias)}.${qb.escape(column.databaseName)}`, column.propertyName);
  }
  let [sql, parameters] = qb.getQueryAndParameters();
  // The page's order, on the inner query's output columns (named by property).
  const orderOn = (name: string) =>
    Object.entries(qb.expressionMap.orderBys).map(([key, how]) => {
      const property = key.slice(key.indexOf(".") + 1);
      const { order: direction, nulls } = typeof how === "string" ? { order: how, nulls: undefined } : how;
      return `"${name}"."${property}" ${direction}${nulls ? ` ${nulls}` : ""}`;
    });
  if (expressions.length) {
    const order = orderOn(alias);
    sql =
      `SELECT "${alias}".*, ${expressions.map((e) => `${e.sql} AS "${e.alias}"`).join(", ")} FROM (${sql}) "${alias}"` +
      (order.length ? ` ORDER BY ${order.join(", ")}` : "");
  }
  const types = columns.map(typeName);
  if (!types.every((type) => JSON_SAFE_TYPES.has(type))) {
    return adopt<T>(await queryPrepared(qb.connection, sql, parameters), metadata.target);
  }
  const order = orderOn("r");
  const [{ rows }] = await queryPrepared<{ rows: T[] }>(
    qb.connection,
    `SELECT coalesce(json_agg("r"${order.length ? ` ORDER BY ${order.join(", ")}` : ""}), '[]'::json) AS "rows" FROM (${sql}) "r"`,
    parameters,
  );
  const timestamps = columns.filter((_, i) => types[i] === "timestamp").map((c) => c.propertyName);
  for (const row of rows as Array<Record<string, unknown>>) {
    for (const name of timestamps) {
      const value = row[name];
      if (typeof value === "string") row[name] = parseUtcTimestamp(value);
    }
  }
  return adopt<T>(rows, metadata.target);
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
