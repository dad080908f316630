// Tracing first: its instrumentations patch http, express, graphql, dataloader and pg as they load.
import { stopTracing } from "./tracing";
import "reflect-metadata";
import { startBookingEventRetention } from "./domain/events/booking-event-retention";
import { ConfigError, loadConfig, type Config } from "./config";
import { prepareDatabase, type Database } from "./db/database";
import { EmbeddedPostgresError, forgetGateway, recordGateway } from "./db/embedded-postgres";
import { createLogger } from "./logger";
import { DEMO_KEYS, isEmpty, loadDemoData } from "./seed/demo";
import { createGateway, type Gateway } from "./server/app";
import { firstQuery, homeLinks } from "./server/home-page";

const SHUTDOWN_DEADLINE_MS = 30_000;

/**
 * Process entry: config → database (embedded when no DATABASE_URL) → HTTP server → connect (with
 * retries while the database is down; /readyz answers 503 meanwhile) → migrations → demo data on a
 * fresh embedded database. Owns the shutdown order: HTTP, then the pool, then the embedded server.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { format: config.logFormat });
  const database: Database = await prepareDatabase(config, logger);
  const connecting = new AbortController();
  let gateway: Gateway | undefined;
  let stopping = false;
  let stopRetention: (() => void) | undefined;

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    connecting.abort();
    logger.info("shutting down", { signal });
    const deadline = setTimeout(() => {
      logger.error("shutdown deadline passed; exiting");
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    try {
      stopRetention?.();
      await gateway?.stop(); // stop accepting, finish in-flight requests
      if (database.embedded) forgetGateway(database.embedded.dataDir);
      await database.close(); // then the pool, then the embedded server
      await stopTracing(); // the last spans are exported
      logger.info("stopped");
      process.exit(0);
    } catch (err) {
      logger.error("shutdown failed", { error: (err as Error).message });
      process.exit(1);
    }
  };
  // A promise some library forgot to handle (graphile-worker 0.17 had one, see webhook-delivery.worker.ts):
  // logged like any unexpected error, not the end of the process (Node's default would exit and
  // drop every request in flight).
  process.on("unhandledRejection", (reason) => {
    const error = reason instanceof Error ? reason : new Error(String(reason));
    logger.error("unexpected error", { source: "unhandledRejection", error: error.message, stack: error.stack });
  });
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));

  try {
    gateway = await createGateway(config, database.dataSource, logger, { demoKey: database.embedded ? DEMO_KEYS.user : undefined });
    const port = await gateway.listen(config.port, config.host);
    // A second `npm start` on this data tells this live gateway from a server left by a killed run.
    if (database.embedded) recordGateway(database.embedded.dataDir, port);
    await database.connect({ signal: connecting.signal });
    if (config.bookingEvents) stopRetention = startBookingEventRetention(database.dataSource, config.bookingEventsRetentionDays, logger);
    // Demo data only ever goes into the embedded database, and only when it is empty.
    if (database.embedded && (await isEmpty(database.dataSource))) {
      const summary = await loadDemoData(database.dataSource);
      logger.info("demo data loaded", { ...summary });
    }
    printBanner(port, config, Boolean(database.embedded));
  } catch (err) {
    if (stopping) return;
    await gateway?.stop().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw err;
  }
}

function printBanner(port: number, config: Config, embedded: boolean): void {
  const base = `http://localhost:${port}`;
  const lines = [
    "",
    `  Cal.com GraphQL gateway ready at ${base}/graphql` +
      (config.host === "127.0.0.1" || config.host === "localhost"
        ? " (this machine only; set HOST to listen elsewhere)"
        : ` (listening on ${config.host})`),
  ];
  if (config.nodeEnv !== "production") lines.push(`  Start page: ${base}/`);
  for (const [label, path] of homeLinks({ base, restDocs: config.introspection, graphiql: config.sandbox }))
    lines.push(`    ${(base + path).padEnd(36)} ${label}`);
  if (embedded) {
    lines.push(
      "",
      "  Demo API keys (send as  Authorization: Bearer <key>):",
      `    regular user (bob)          ${DEMO_KEYS.user}`,
      `    organization admin (alice)  ${DEMO_KEYS.orgAdmin}`,
      `    system admin                ${DEMO_KEYS.systemAdmin}`,
    );
  }
  lines.push(
    "",
    "  First query:",
    `    ${firstQuery({ base, demoKey: embedded ? DEMO_KEYS.user : undefined, restDocs: config.introspection })}`,
  );
  console.log(lines.join("\n") + "\n");
}

main().catch((err) => {
  const busy = err as NodeJS.ErrnoException & { port?: number };
  if (err instanceof ConfigError || err instanceof EmbeddedPostgresError) {
    console.error(`\nCannot start: ${err.message}\n`);
  } else if (busy?.code === "EADDRINUSE" && busy.syscall === "listen") {
    console.error(
      `\nCannot start: port ${busy.port ?? "?"} is already in use (another gateway, or another program, listens there). ` +
        `Choose another port with PORT, e.g. \`PORT=${(busy.port ?? 4000) + 1} npm start\` (PORT=0 picks a free one).\n`,
    );
  } else {
    console.error("\nCannot start:", err instanceof Error ? (err.stack ?? err.message) : err, "\n");
  }
  process.exit(1);
});
