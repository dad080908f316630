import type { DataSource } from "typeorm";
import type { Config } from "../config";
import type { Logger } from "../logger";
import { createDataSource } from "./data-source";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres";
import { isDatabaseUnavailable, isMisconfiguration } from "./faults";
import { migrateGatewaySchema } from "./gateway-schema";

/** The database the process runs on: the serving DataSource, and the embedded server if we own one. */
export interface Database {
  dataSource: DataSource;
  embedded?: EmbeddedPostgres;
  /**
   * Applies migrations (DB_MIGRATIONS=run) and connects the serving pool. While the database cannot
   * be reached it retries with backoff (up to `attempts`, default forever) unless `signal` aborts.
   */
  connect(options?: { attempts?: number; signal?: AbortSignal }): Promise<void>;
  /** Closes the pool, then stops the embedded server (if any). */
  close(): Promise<void>;
}

/**
 * Starts the embedded Postgres under `.data/` when DATABASE_URL is unset, and builds (without
 * connecting) the serving DataSource: replicas from DATABASE_REPLICA_URLS, and a statement_timeout
 * no longer than the request timeout, so no request leaves work running in the database.
 */
export async function prepareDatabase(config: Config, logger: Logger): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: config.embeddedDataDir, port: config.embeddedPort, logger, durable: true });
    url = embedded.url;
    logger.info("embedded postgres started", { port: embedded.port, dataDir: embedded.dataDir, created: embedded.created });
  }
  const timeouts = [config.statementTimeoutMs, config.requestTimeoutMs].filter((ms) => ms > 0);
  const dataSource = createDataSource({
    url,
    poolSize: config.dbPoolSize,
    replicaUrls: config.replicaUrls,
    statementTimeoutMs: timeouts.length ? Math.min(...timeouts) : 0,
    poolWaitMs: config.dbPoolWaitMs,
    idleTimeoutMs: config.dbIdleTimeoutMs,
    log: logger,
  });
  const primaryUrl = url;

  const connectOnce = async () => {
    if (config.dbMigrations === "run") {
      // Migrations run on a pool of their own: request timeouts do not apply to start-up work.
      const migrator = createDataSource({ url: primaryUrl, poolSize: 1, log: logger });
      await migrator.initialize();
      try {
        const applied = await migrator.runMigrations({ transaction: "all" });
        if (applied.length) logger.info("migrations applied", { migrations: applied.map((m) => m.name) });
      } finally {
        await migrator.destroy();
      }
    }
    // The gateway's own schema is migrated in every mode (DB_MIGRATIONS is about Cal.com's tables).
    if (config.bookingEvents) await migrateGatewaySchema(primaryUrl, logger);
    if (!dataSource.isInitialized) await dataSource.initialize();
  };

  return {
    dataSource,
    embedded,
    async connect({ attempts = Infinity, signal } = {}) {
      for (let attempt = 1; ; attempt += 1) {
        try {
          await connectOnce();
          if (attempt > 1) logger.info("database connected", { attempt });
          return;
        } catch (err) {
          if (!isDatabaseUnavailable(err) || isMisconfiguration(err) || attempt >= attempts || signal?.aborted) throw err;
          const delay = Math.min(10_000, 500 * 2 ** (attempt - 1));
          logger.warn("database unavailable; retrying", { attempt, retryInMs: delay, error: (err as Error).message });
          await new Promise((resolve) => setTimeout(resolve, delay));
          if (signal?.aborted) throw err;
        }
      }
    },
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await embedded?.stop();
    },
  };
}

/** Prepares and connects in one step, without retrying (tools and tests). */
export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  const database = await prepareDatabase(config, logger);
  try {
    await database.connect({ attempts: 1 });
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
  return database;
}
