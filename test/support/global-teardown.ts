import { rmSync } from "node:fs";
import { Client } from "pg";
import type { EmbeddedPostgres } from "../../src/db/embedded-postgres";
import { TEMPLATE_DB } from "./env";

export default async function globalTeardown(): Promise<void> {
  const embedded = (globalThis as { __EMBEDDED_PG__?: EmbeddedPostgres }).__EMBEDDED_PG__;
  if (embedded) {
    await embedded.stop();
    rmSync(embedded.dataDir, { recursive: true, force: true });
    if (process.env.TEST_EMBEDDED_TEMP_DIR) rmSync(process.env.TEST_EMBEDDED_TEMP_DIR, { recursive: true, force: true });
    return;
  }
  const admin = new Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${TEMPLATE_DB}" WITH (FORCE)`);
  await admin.end();
}
