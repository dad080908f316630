import { existsSync, rmSync } from "node:fs";
import { ConfigError, loadConfig } from "./config";
import { EmbeddedPostgresError, embeddedDataLocation, refuseRunningServer } from "./db/embedded-postgres";

/**
 * `npm run reset`: deletes the embedded database wherever it lives (EMBEDDED_PG_DIR, or the place it
 * moved to when running as root), so the next `npm start` creates a fresh one with demo data.
 * Refuses while a gateway or a left-over server runs on it, and never touches a DATABASE_URL database.
 */
function reset(): void {
  const config = loadConfig();
  if (config.databaseUrl) {
    throw new ConfigError(
      "DATABASE_URL is set: `npm run reset` only deletes the embedded database. Drop or recreate your own database yourself.",
    );
  }
  const dataDir = embeddedDataLocation(config.embeddedDataDir);
  if (!existsSync(dataDir)) {
    console.log(`Nothing to reset: there is no embedded database at ${dataDir}.`);
    return;
  }
  refuseRunningServer(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  console.log(`Deleted the embedded database at ${dataDir}. The next \`npm start\` creates a fresh one with demo data.`);
}

try {
  reset();
} catch (err) {
  if (err instanceof ConfigError || err instanceof EmbeddedPostgresError) console.error(`\nCannot reset: ${err.message}\n`);
  else console.error("\nCannot reset:", err, "\n");
  process.exit(1);
}
