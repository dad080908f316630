import { DataSource } from "typeorm";
import { runMigrations } from "graphile-worker";
import { BookingEvents1764100000000 } from "../../migrations/gateway-schema/1764100000000-BookingEvents";
import { WebhookDeliveries1764100000001 } from "../../migrations/gateway-schema/1764100000001-WebhookDeliveries";
import { WebhookTraceparent1764100000002 } from "../../migrations/gateway-schema/1764100000002-WebhookTraceparent";
import { WORKER_SCHEMA } from "../domain/webhooks/webhook-outbox";
import { workerLogger } from "../domain/webhooks/worker-logger";
import type { Logger } from "../logger";
import { gatewayPg } from "./pg-client";

/**
 * The gateway's own Postgres schema (`gateway`): tables of the gateway's features (booking events)
 * that Cal.com does not have. It is created and migrated at start in every mode, DB_MIGRATIONS=off
 * included (that setting is about Cal.com's tables, which this never touches), with its own
 * migrations table `gateway.migrations`. Instances starting at once queue on an advisory lock.
 * The webhook queue is graphile-worker's, in its own schema `gateway_worker`, installed and
 * upgraded here by graphile-worker's own migrations (under the same lock).
 */
export const GATEWAY_SCHEMA = "gateway";
export const GATEWAY_SCHEMA_MIGRATIONS = [BookingEvents1764100000000, WebhookDeliveries1764100000001, WebhookTraceparent1764100000002];

/** Namespace of the advisory lock that serializes instances migrating the gateway schema ("CAL" 6). */
const LOCK_NAMESPACE_SCHEMA = 0x43414c06;

/** Creates the gateway schema when missing and applies its migrations; returns their names. */
export async function migrateGatewaySchema(url: string, logger?: Logger): Promise<string[]> {
  const ds = new DataSource({
    type: "postgres",
    url,
    driver: gatewayPg,
    schema: GATEWAY_SCHEMA,
    migrations: GATEWAY_SCHEMA_MIGRATIONS,
    migrationsTableName: "migrations",
    migrationsTransactionMode: "all",
    extra: { max: 1, options: "-c TimeZone=UTC", application_name: "calcom-graphql-gateway", connectionTimeoutMillis: 5_000 },
  });
  await ds.initialize();
  try {
    // One connection (max: 1), so the session lock covers everything below, migrations included.
    await ds.query(`SELECT pg_advisory_lock($1, 0)`, [LOCK_NAMESPACE_SCHEMA]);
    try {
      // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE right on the database even when
      // the schema exists (a DBA may have made it for a role without that right).
      const present = await ds.query<unknown[]>(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [GATEWAY_SCHEMA]);
      if (present.length === 0) await ds.query(`CREATE SCHEMA ${GATEWAY_SCHEMA}`);
      const applied = await ds.runMigrations({ transaction: "all" });
      if (applied.length) logger?.info("gateway schema migrated", { migrations: applied.map((x) => x.name) });
      await runMigrations({ connectionString: url, schema: WORKER_SCHEMA, logger: workerLogger(logger) });
      return applied.map((x) => x.name);
    } finally {
      await ds.query(`SELECT pg_advisory_unlock($1, 0)`, [LOCK_NAMESPACE_SCHEMA]).catch(() => undefined);
    }
  } finally {
    await ds.destroy();
  }
}
