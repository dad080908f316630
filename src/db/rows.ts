import { createHash } from "node:crypto";
import type { Pool, QueryResultRow } from "pg";
import type { DataSource, EntityManager, EntityTarget, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import { cached, LruMap } from "../cached";
import { ConnectionNotReadyError } from "./faults";
import { readPrepared, runPrepared, type GatewayClient } from "./pg-client";
import type { RequestStore } from "./sql-counter";
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

/** How fetchRows reads one query shape: the SQL with TypeORM's `:name` parameters, and how to read its answer. */
interface ReadPlan {
  /**
   * TypeORM's statement, parameters still named (`:name`; TypeORM's driver numbers them per call),
   * and the SQL fetchRows wraps around it.
   */
  inner: string;
  before: string;
  after: string;
  /** Whole page as one JSON array (every column JSON-safe), or rows. */
  json: boolean;
  /** Properties holding timestamps (JSON pages: text, turned into UTC Dates here). */
  timestamps: string[];
  target: unknown;
}

/** A query's page: its LIMIT (an integer, written into the text) and OFFSET (a parameter unless 0). */
interface Paging {
  limit: number | undefined;
  offset: number;
}

/** Takes LIMIT and OFFSET off `qb` (fetchRows writes them itself). */
function pagingOf(qb: SelectQueryBuilder<ObjectLiteral>): Paging {
  const { limit, offset } = qb.expressionMap;
  qb.expressionMap.limit = undefined;
  qb.expressionMap.offset = undefined;
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) throw new Error(`LIMIT must be a whole number (got ${limit})`);
  return { limit, offset: offset ?? 0 };
}

/** Plans per data source by query shape (see shapeKey): building SQL with TypeORM cost about 50 µs a list page. */
const plansByDataSource = new WeakMap<DataSource, LruMap<string, ReadPlan>>();
/** Read plans kept per data source (least recently used dropped first). */
export const MAX_READ_PLANS = 1_000;

/**
 * Runs a select query and returns entity-shaped rows. `properties` limits the columns read (the
 * GraphQL layer passes what the operation selects); by default every mapped column. Selects the
 * caller added with an alias starting with `__` are read too, as properties of that name. `expressions`
 * (e.g. JSON subqueries of related rows, referring to the row as `b`) are computed in an outer query
 * over the page only, never for rows an OFFSET skips.
 *
 * When every column read has a JSON form equal to what node-postgres would make of it, Postgres
 * returns the whole page as one JSON array: one JSON.parse instead of a parse per column per row
 * (the largest single item of the gateway's own CPU time on a list page). Timestamps then arrive
 * as text and become UTC Dates here, exactly as the driver's parser would make them.
 *
 * The SQL of a query shape is built once (TypeORM's query building was about a tenth of a list
 * page's CPU time); each call only fills in its parameter values. OFFSET is a parameter too, so the
 * pages of a list are one statement text (a prepared statement per connection, not one per page);
 * LIMIT (a page size: few distinct values) and a zero OFFSET stay in the text, because Postgres
 * plans a statement with a parameter LIMIT or OFFSET for an unknown value (a tenth of the rows) and
 * then chose slower plans for first pages: about 10% fewer list requests per second, measured.
 * `properties` and `expressions` objects are keyed by identity once seen: pass new ones rather than
 * changing them.
 */
export async function fetchRows<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  properties?: ReadonlySet<string>,
  expressions: RowExpression[] = [],
  store?: RequestStore,
): Promise<T[]> {
  const plans = cached(plansByDataSource, qb.connection, () => new LruMap<string, ReadPlan>(MAX_READ_PLANS));
  // The page: LIMIT in the statement text, a non-zero OFFSET as a parameter (see above).
  const paging = pagingOf(qb);
  const key = shapeKey(qb, properties, expressions, paging);
  let plan = key === undefined ? undefined : plans.get(key);
  if (!plan) {
    plan = planRead(qb, properties, expressions, paging);
    if (key !== undefined) plans.set(key, plan);
  }
  const values = paging.offset ? { ...qb.getParameters(), gw_offset: paging.offset } : qb.getParameters();
  const [inner, parameters] = qb.connection.driver.escapeQueryWithParameters(plan.inner, values);
  const sql = plan.before + inner + plan.after;
  if (!plan.json) return adopt<T>(await queryPrepared(qb.connection, sql, parameters, store), plan.target);
  const [{ rows }] = await queryPrepared<{ rows: T[] }>(qb.connection, sql, parameters, store);
  const timestamps = plan.timestamps;
  for (const row of rows as Array<Record<string, unknown>>) {
    for (const name of timestamps) {
      const value = row[name];
      if (typeof value === "string") row[name] = parseUtcTimestamp(value);
    }
  }
  return adopt<T>(rows, plan.target);
}

/**
 * A key that determines the SQL fetchRows builds for `qb` (with these properties and expressions),
 * from the parts of TypeORM's expression map that a select statement is made of; undefined when the
 * query uses anything this key does not cover (joins, grouping, CTEs, sub-queries, locks...), which
 * is then built every time.
 */
function shapeKey(
  qb: SelectQueryBuilder<ObjectLiteral>,
  properties: ReadonlySet<string> | undefined,
  expressions: RowExpression[],
  paging: Paging,
): string | undefined {
  const m = qb.expressionMap;
  if (
    m.queryType !== "select" || m.joinAttributes.length || m.relationIdAttributes.length || m.groupBys.length ||
    m.havings.length || m.commonTableExpressions.length || m.aliases.length !== 1 || m.subQuery || m.lockMode ||
    m.selectDistinct || m.selectDistinctOn.length || m.comment || m.maxExecutionTime || m.useIndex?.length ||
    m.timeTravel || m.extraAppendedAndWhereCondition || !m.mainAlias?.hasMetadata
  ) {
    return undefined;
  }
  return JSON.stringify([
    m.mainAlias.name, m.mainAlias.metadata.tableName, m.selects, m.wheres, m.orderBys, m.skip, m.take,
    m.withDeleted, paging.limit ?? null, paging.offset > 0,
  ]) + (properties ? cached(keyTexts, properties, () => JSON.stringify([...properties])) : "*") + cached(keyTexts, expressions, () => JSON.stringify(expressions));
}

/** Key texts of column sets and expression lists, which callers often pass as the same objects again. */
const keyTexts = new WeakMap<object, string>();

/**
 * Builds the statement for `qb` (changing its select list) and how to read its answer, ending in
 * `LIMIT <n>` and, for a non-zero offset, `OFFSET :gw_offset`.
 */
function planRead(
  qb: SelectQueryBuilder<ObjectLiteral>,
  properties: ReadonlySet<string> | undefined,
  expressions: RowExpression[],
  paging: Paging,
): ReadPlan {
  const alias = qb.alias;
  const metadata = qb.expressionMap.mainAlias!.metadata;
  // The sort columns are read too: the outer query orders by them, cursors are made of them.
  const sorted = Object.keys(qb.expressionMap.orderBys).map((key) => key.slice(key.indexOf(".") + 1));
  const columns = metadata.columns.filter((c) => !properties || properties.has(c.propertyName) || sorted.includes(c.propertyName));
  // Computed selects the caller added (aliases starting with "__", e.g. the viewer's view of each row) stay.
  const computed = qb.expressionMap.selects.filter((select) => select.aliasName?.startsWith("__"));
  qb.select([]);
  for (const column of columns) {
    qb.addSelect(`${qb.escape(alias)}.${qb.escape(column.databaseName)}`, column.propertyName);
  }
  for (const select of computed) qb.addSelect(select.selection, select.aliasName);
  const inner =
    qb.getQuery() + (paging.limit !== undefined ? ` LIMIT ${paging.limit}` : "") + (paging.offset > 0 ? " OFFSET :gw_offset" : "");
  // The page's order, on the inner query's output columns (named by property).
  const orderOn = (name: string) =>
    Object.entries(qb.expressionMap.orderBys).map(([key, how]) => {
      const property = key.slice(key.indexOf(".") + 1);
      const { order: direction, nulls } = typeof how === "string" ? { order: how, nulls: undefined } : how;
      return `"${name}"."${property}" ${direction}${nulls ? ` ${nulls}` : ""}`;
    });
  let before = "";
  let after = "";
  if (expressions.length) {
    const order = orderOn(alias);
    before = `SELECT "${alias}".*, ${expressions.map((e) => `${e.sql} AS "${e.alias}"`).join(", ")} FROM (`;
    after = `) "${alias}"` + (order.length ? ` ORDER BY ${order.join(", ")}` : "");
  }
  const types = columns.map(typeName);
  const target = metadata.target;
  if (!types.every((type) => JSON_SAFE_TYPES.has(type))) return { inner, before, after, json: false, timestamps: [], target };
  const order = orderOn("r");
  return {
    inner,
    before: `SELECT coalesce(json_agg("r"${order.length ? ` ORDER BY ${order.join(", ")}` : ""}), '[]'::json) AS "rows" FROM (${before}`,
    after: `${after}) "r"`,
    json: true,
    timestamps: columns.filter((_, i) => types[i] === "timestamp").map((c) => c.propertyName),
    target,
  };
}

/** Statement names by SQL text (a memo of the hash; bounded, least recently used dropped first). */
const statementNames = new LruMap<string, string>(2_000);

/** The prepared-statement name of a SQL text (a hash of it, remembered for the last 2,000 texts). */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = "gw_" + createHash("sha1").update(sql).digest("hex").slice(0, 24);
    statementNames.set(sql, name);
  }
  return name;
}

/**
 * Runs a statement as a named prepared statement on the connection of a transaction's manager
 * (parsed and planned once per connection, as queryPrepared does on the pool), counted against the
 * request's store. Without a query runner it falls back to a plain query.
 */
export async function queryPreparedIn<R>(m: EntityManager, sql: string, parameters: unknown[]): Promise<R[]> {
  const runner = m.queryRunner;
  if (!runner) return m.query(sql, parameters);
  const client = (await runner.connect()) as GatewayClient;
  const store = (runner.data as { store?: RequestStore } | undefined)?.store;
  if (store) store.sqlStatements += 1;
  return (await runPrepared<R & QueryResultRow>(client, statementName(sql), sql, parameters)).rows;
}

/**
 * Runs a read-only statement as a named prepared statement on the pool TypeORM manages: each
 * connection parses and plans a given text once, and later runs send only the name and the values
 * (list statements carry their JSON relation subqueries, several kilobytes of SQL). Connections keep
 * a bounded number of them, and a read on a connection found dead is tried once more (pg-client.ts).
 * The statement is counted against the request's `store`. Reads of a query operation go to a
 * replica when there are any.
 */
export async function queryPrepared<R>(
  dataSource: DataSource,
  sql: string,
  parameters: unknown[],
  store?: RequestStore,
  /** Read the primary even in a query operation (a decision that must see the latest writes). */
  primary = false,
): Promise<R[]> {
  const name = statementName(sql);
  const driver = dataSource.driver as unknown as { master?: Pool; slaves?: Pool[] };
  if (!driver.master) throw new ConnectionNotReadyError("The database is not connected yet.");
  const replicas = store?.readOnly && !primary ? driver.slaves : undefined;
  const pool = replicas?.length ? replicas[Math.floor(Math.random() * replicas.length)] : driver.master;
  if (store) store.sqlStatements += 1;
  return readPrepared<R & QueryResultRow>(pool, name, sql, parameters);
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
  store?: RequestStore,
): Promise<T[]> {
  const metadata = dataSource.getMetadata(entity);
  const byKey = cached(statements, dataSource, () => new Map<string, { sql: string; target: unknown }>());
  const statement = cached(byKey, `${metadata.tableName}.${column}`, () => {
    const keyColumn = metadata.findColumnWithPropertyName(column);
    if (!keyColumn) throw new Error(`${metadata.name} has no column ${column}`);
    const list = metadata.columns.map((c) => `e."${c.databaseName}" AS "${c.propertyName}"`).join(", ");
    const orderBy = metadata.primaryColumns.map((c) => `e."${c.databaseName}"`).join(", ");
    return {
      sql: `SELECT ${list} FROM "${metadata.tableName}" e WHERE e."${keyColumn.databaseName}" = ANY($1) ORDER BY ${orderBy}`,
      target: metadata.target,
    };
  });
  return adopt<T>(await queryPrepared<T>(dataSource, statement.sql, [[...keys]], store), statement.target);
}
