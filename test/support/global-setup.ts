import { migrateGatewaySchema } from "../../src/db/gateway-schema";
import { chmodSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { createDataSource } from "../../src/db/data-source";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../src/db/embedded-postgres";
import { createLogger } from "../../src/logger";
import { TEMPLATE_DB, urlForDatabase } from "./env";

/**
 * Starts a throw-away embedded Postgres unless DATABASE_URL points at one, and prepares a template
 * database with the gateway's migrations applied; each test file clones it (one database per file).
 */
export default async function globalSetup(): Promise<void> {
  if (!process.env.DATABASE_URL) {
    const tempDir = mkdtempSync(path.join(os.tmpdir(), "gateway-test-"));
    chmodSync(tempDir, 0o755); // as root the server runs as "postgres", who must reach the data dir
    const dataDir = path.join(tempDir, "pg");
    const embedded: EmbeddedPostgres = await startEmbeddedPostgres({
      dataDir,
      port: 0,
      logger: createLogger("warn"),
      durable: false,
    });
    (globalThis as { __EMBEDDED_PG__?: EmbeddedPostgres }).__EMBEDDED_PG__ = embedded;
    process.env.DATABASE_URL = embedded.url;
    process.env.TEST_EMBEDDED_TEMP_DIR = tempDir;
    console.log(`\n[test] embedded PostgreSQL on port ${embedded.port}`);
  } else {
    console.log(`\n[test] using DATABASE_URL ${new URL(process.env.DATABASE_URL).host}`);
  }

  const admin = new Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${TEMPLATE_DB}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${TEMPLATE_DB}"`);
  await admin.end();

  const ds = createDataSource({ url: urlForDatabase(TEMPLATE_DB), poolSize: 1 });
  await ds.initialize();
  await ds.runMigrations({ transaction: "all" });
  await ds.destroy();
  await migrateGatewaySchema(urlForDatabase(TEMPLATE_DB));
}
