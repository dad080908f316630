import "reflect-metadata";
import { In } from "typeorm";
import { loadConfig } from "../config";
import { openDatabase } from "../db/database";
import { User } from "../entities";
import { createLogger } from "../logger";
import { DEMO_KEYS, loadDemoData } from "./demo";

/**
 * `npm run seed`: loads the demo data set on request — into DATABASE_URL when set, else into the
 * embedded database. Refuses when demo users already exist (their e-mails are unique).
 */
async function seedCommand(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { format: config.logFormat });
  const database = await openDatabase(config, logger);
  try {
    const existing = await database.dataSource
      .getRepository(User)
      .count({ where: { email: In(["admin@example.com", "alice@example.com", "bob@example.com"]) } });
    if (existing > 0) {
      console.log("Demo data is already present (demo users exist); nothing written.");
    } else {
      const summary = await loadDemoData(database.dataSource);
      console.log(`Demo data loaded: ${summary.users} users, ${summary.eventTypes} event types, ${summary.bookings} bookings.`);
    }
    console.log(`Demo keys: user ${DEMO_KEYS.user}  org admin ${DEMO_KEYS.orgAdmin}  system admin ${DEMO_KEYS.systemAdmin}`);
  } finally {
    await database.close();
  }
}

seedCommand().catch((err) => {
  console.error("Seeding failed:", err instanceof Error ? err.message : err);
  process.exit(1);
});
