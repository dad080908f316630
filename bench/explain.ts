import { ApiKeyAuthenticator } from "../src/auth/api-key";
import type { RequestContext } from "../src/context";
import { createDataSource } from "../src/db/data-source";
import { SqlCountingLogger } from "../src/db/sql-counter";
import { listBookings } from "../src/domain/booking/booking-read.service";
import { createLoaders } from "../src/loaders";
import { createLogger } from "../src/logger";
import { BENCH_KEYS } from "./dataset";

const LIST_SELECTION = {
  fields: new Set(["id", "uid", "title", "status", "startTime", "endTime", "user", "eventType", "attendees", "payment"]),
  typeFields: new Map([
    ["User", new Set(["id", "name", "email"])],
    ["EventType", new Set(["id", "title", "length"])],
    ["Attendee", new Set(["name", "email"])],
    ["Payment", new Set(["amount", "currency", "success"])],
  ]),
};

export interface ExplainResult {
  label: string;
  sql: string;
  plan: string;
}

/** Keeps every statement the gateway's own code sends, with its parameters. */
class CapturingLogger extends SqlCountingLogger {
  readonly statements: Array<{ sql: string; params: unknown[] }> = [];
  override logQuery(query: string, parameters?: unknown): void {
    this.statements.push({ sql: query, params: (parameters as unknown[]) ?? [] });
  }
}

/**
 * EXPLAIN ANALYZE of the list and count statements the gateway runs for page 1 of 50 bookings with
 * user, event type, attendees and payment (benchmark query a), for
 * each role's scope (system admin, organization admin, regular user), captured from the real
 * service code against a bench data set.
 */
export async function explainListStatements(url: string): Promise<ExplainResult[]> {
  const capture = new CapturingLogger();
  const ds = createDataSource({ url, poolSize: 2, logger: capture });
  await ds.initialize();
  // List statements run as named prepared statements on the pool, past TypeORM's logger: record them too.
  const pool = (ds.driver as unknown as { master: { query: (...args: unknown[]) => unknown } }).master;
  const query = pool.query.bind(pool);
  pool.query = (config: unknown, ...rest: unknown[]) => {
    if (config && typeof config === "object" && "text" in config) {
      const { text, values } = config as { text: string; values: unknown[] };
      capture.statements.push({ sql: text, params: values });
    }
    return query(config, ...rest);
  };
  try {
    const auth = new ApiKeyAuthenticator(ds, 0);
    const results: ExplainResult[] = [];
    for (const [role, key] of [["system admin", BENCH_KEYS.systemAdmin], ["organization admin", BENCH_KEYS.orgAdmin], ["regular user", BENCH_KEYS.regularUser]] as const) {
      const viewer = await auth.authenticate(key);
      const store = { sqlStatements: 0 };
      const ctx: RequestContext = { requestId: "explain", viewer, dataSource: ds, loaders: createLoaders(ds, store), logger: createLogger("silent"), store };
      capture.statements.length = 0;
      // The selection of benchmark query (a): columns plus user, eventType, attendees and payment.
      const page = await listBookings(ctx, { take: 50, page: 1 }, LIST_SELECTION);
      await page.count();
      const [list, count] = capture.statements;
      for (const [kind, statement] of [["list", list], ["count", count]] as const) {
        const rows: Array<{ "QUERY PLAN": string }> = await ds.query(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${statement.sql}`, statement.params);
        results.push({ label: `${role}: ${kind}`, sql: statement.sql, plan: rows.map((r) => r["QUERY PLAN"]).join("\n") });
      }
    }
    return results;
  } finally {
    await ds.destroy();
  }
}
