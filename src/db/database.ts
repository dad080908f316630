import type { DataSource } from "typeorm";
import type { Config } from "../config";
import type { Logger } from "../logger";
import { createDataSource } from "./data-source";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres";

/** The database the process runs on: a connected DataSource, and the embedded server if we own one. */
export interface Database {
  dataSource: DataSource;
  embedded?: EmbeddedPostgres;
  /** Closes the pool, then stops the embedded server (if any). */
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or starts the embedded Postgres under `.data/` when none is set, then
 * applies the gateway's migrations unless DB_MIGRATIONS=off.
 */
export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.embeddedDataDir,
      port: config.embeddedPort,
      logger,
      durable: true,
    });
    url = embedded.url;
    logger.info("embedded postgres started", { port: embedded.port, dataDir: embedded.dataDir, created: embedded.created });
  }
  const dataSource = createDataSource({ url });
  try {
    await dataSource.initialize();
    if (config.dbMigrations === "run") {
      const applied = await dataSource.runMigrations({ transaction: "all" });
      if (applied.length) logger.info("migrations applied", { migrations: applied.map((mig) => mig.name) });
    }
  } catch (err) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    await embedded?.stop();
    throw err;
  }
  return {
    dataSource,
    embedded,
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await embedded?.stop();
    },
  };
}
