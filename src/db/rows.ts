import { createHash } from "node:crypto";
import type { Pool, QueryResultRow } from "pg";
import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from "typeorm";
import { cached, LruMap } from "../cached";
import { ConnectionNotReadyError } from "./faults";
import { readPrepared, runPrepared, type GatewayClient } from "./pg-client";
import type { RequestStore } from "./sql-counter";

/**
 * Running read statements as named prepared statements, and the DataLoaders' batch reads, without
 * TypeORM's entity hydration (a large share of CPU time on list pages). Column values are already
 * typed by node-postgres (integers, booleans, parsed jsonb, UTC dates); rows get the entity class as
 * prototype (no copying), which is what type-graphql checks before it would copy a parent object
 * into a new instance for every field resolver. The booking reads themselves are src/read-path's.
 */

/** Gives rows the entity class `target` as prototype, in place. */
export function adopt<T>(rows: T[], target: unknown): T[] {
  const prototype = (target as { prototype: object }).prototype;
  for (const row of rows) Object.setPrototypeOf(row, prototype);
  return rows;
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
