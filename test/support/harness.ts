import "reflect-metadata";
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import type { DataSource } from "typeorm";
import { loadConfig, type Config } from "../../src/config";
import { openDatabase } from "../../src/db/database";
import { createLogger } from "../../src/logger";
import { createGateway, type Gateway } from "../../src/server/app";
import { adminUrl, TEMPLATE_DB, urlForDatabase } from "./env";
import type { AnyJson } from "./json";

export interface GqlResponse<T = Record<string, AnyJson>> {
  status: number;
  headers: Headers;
  body: { data?: T | null; errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, AnyJson> }> };
}

export interface TestGateway {
  url: string;
  dataSource: DataSource;
  databaseName: string;
  logLines: Array<Record<string, unknown>>;
  /** POSTs a GraphQL operation, with `key` as the Bearer token when given. */
  gql<T = Record<string, AnyJson>>(query: string, variables?: Record<string, unknown>, key?: string): Promise<GqlResponse<T>>;
  close(): Promise<void>;
}

/** A fresh database cloned from the migrated template (or empty with `migrated: false`). */
export async function createTestDatabase(migrated = true): Promise<string> {
  const name = `gw_test_${randomBytes(6).toString("hex")}`;
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"${migrated ? ` TEMPLATE "${TEMPLATE_DB}"` : ""}`);
  } finally {
    await admin.end();
  }
  return name;
}

/**
 * A database laid out as Cal.com's own: the same tables, but no gateway migration table, none of
 * the gateway's extra indexes, and columns and tables the gateway does not map (DB_MIGRATIONS=off).
 */
export async function createCalcomManagedDatabase(): Promise<string> {
  const name = await createTestDatabase();
  const client = new Client({ connectionString: urlForDatabase(name) });
  await client.connect();
  try {
    await client.query(`DROP TABLE gateway_migrations`);
    // A Cal.com database has no gateway schema: the gateway creates it at start (every mode).
    await client.query(`DROP SCHEMA gateway CASCADE`);
    await client.query(`DROP SCHEMA gateway_worker CASCADE`);
    await client.query(`DROP INDEX "Attendee_lower_email_idx"`);
    await client.query(`DROP INDEX "Booking_startTime_id_idx"`);
    await client.query(
      `ALTER TABLE users ADD COLUMN "emailVerified" TIMESTAMP(3), ADD COLUMN "bio" TEXT, ADD COLUMN "weekStart" TEXT NOT NULL DEFAULT 'Sunday'`,
    );
    await client.query(
      `ALTER TABLE "Booking" ADD COLUMN "thirdPartyPaymentRef" TEXT, ADD COLUMN "routedFromRoutingFormReponse" BOOLEAN NOT NULL DEFAULT false`,
    );
    await client.query(`ALTER TABLE "Attendee" ADD COLUMN "bookingSeatId" INTEGER`);
    await client.query(`CREATE TABLE "_prisma_migrations" (id TEXT PRIMARY KEY, checksum TEXT NOT NULL)`);
  } finally {
    await client.end();
  }
  return name;
}

export async function dropTestDatabase(name: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * Boots the real gateway (Express + Apollo + TypeORM) on a random port against its own database.
 * `env` is parsed by the real config loader, so tests exercise the same settings users set.
 */
export async function startTestGateway(options: { env?: Record<string, string>; databaseName?: string } = {}): Promise<TestGateway> {
  const databaseName = options.databaseName ?? (await createTestDatabase());
  const config: Config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "info",
    DATABASE_URL: urlForDatabase(databaseName),
    DB_MIGRATIONS: "off", // test databases come migrated from the template (or laid out as Cal.com's)
    ...options.env,
  });
  const logLines: Array<Record<string, unknown>> = [];
  const logger = createLogger(config.logLevel, { write: (line) => logLines.push(JSON.parse(line) as Record<string, unknown>) });
  const database = await openDatabase(config, logger);
  const dataSource = database.dataSource;
  const gateway: Gateway = await createGateway(config, dataSource, logger);
  const port = await gateway.listen(0, "127.0.0.1");
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    dataSource,
    databaseName,
    logLines,
    async gql(query, variables, key) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (key) headers.authorization = `Bearer ${key}`;
      const res = await fetch(`${url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
      return { status: res.status, headers: res.headers, body: (await res.json()) as GqlResponse<AnyJson>["body"] };
    },
    async close() {
      await gateway.stop();
      await database.close();
      if (!options.databaseName) await dropTestDatabase(databaseName);
    },
  };
}

/** Requests the read path's route answered so far (the `gateway_read_path_route_total` metric). */
export async function readPathRouted(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^gateway_read_path_route_total (\d+)/m.exec(text)?.[1] ?? 0);
}

/** The single error of a response, asserting there is exactly one. */
export function onlyError(res: GqlResponse): { message: string; extensions?: Record<string, AnyJson> } {
  if (!res.body.errors || res.body.errors.length !== 1) {
    throw new Error(`expected exactly one error, got ${JSON.stringify(res.body)}`);
  }
  return res.body.errors[0];
}
