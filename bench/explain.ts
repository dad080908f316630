import { ApiKeyAuthenticator } from "../src/auth/api-key";
import type { RequestContext } from "../src/context";
import { createDataSource } from "../src/db/data-source";
import { SqlCountingLogger } from "../src/db/sql-counter";
import { parse } from "graphql";
import { gatewaySchema } from "../src/graphql/schema";
import { ReadPath } from "../src/read-path/executor";
import { createLoaders } from "../src/loaders";
import { createLogger } from "../src/logger";
import { BENCH_KEYS } from "./dataset";

const LIST_FIELDS = `id uid title status startTime endTime user { id name email } eventType { id title length } attendees { name email } payment { amount currency success }`;
/** Benchmark query (a) with its total: columns plus user, eventType, attendees and payment. */
const LIST_QUERY = parse(`{ bookings(take: 50, page: 1) { totalCount nodes { ${LIST_FIELDS} } } }`);

export interface ExplainResult {
  label: string;
  sql: string;
  /** The statement's parameters, as the gateway bound them. */
  params: unknown[];
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
 * EXPLAIN ANALYZE of the statements the read path runs for page 1 of 50 bookings with user, event
 * type, attendees and payment, and for its total count (benchmark query a), for
 * each role's scope (system admin, organization admin, regular user), captured from the real
 * service code against a bench data set; and, VERBOSE (each node's output columns), of the system
 * admin's last offset page of 50 (benchmark query b).
 */
export async function explainListStatements(url: string): Promise<ExplainResult[]> {
  const capture = new CapturingLogger();
  const ds = createDataSource({ url, poolSize: 2, logger: capture });
  await ds.initialize();
  // List statements run as named prepared statements on pooled clients, past TypeORM's logger:
  // record them too (each client's `query` is wrapped the first time the pool hands it out).
  type Queryable = { query: (...args: unknown[]) => unknown };
  type Connect = (callback?: (err: Error | undefined, client: Queryable, release: unknown) => void) => Promise<Queryable> | void;
  const pool = (ds.driver as unknown as { master: { connect: Connect } }).master;
  const connect = pool.connect.bind(pool);
  const wrapped = new WeakSet<Queryable>();
  const wrap = (client: Queryable) => {
    if (client && !wrapped.has(client)) {
      wrapped.add(client);
      const query = client.query.bind(client);
      client.query = (config: unknown, ...rest: unknown[]) => {
        if (config && typeof config === "object" && "name" in config) {
          const { text, values } = config as unknown as { text: string; values: unknown[] };
          capture.statements.push({ sql: text, params: values });
        }
        return query(config, ...rest);
      };
    }
    return client;
  };
  // TypeORM asks with a callback, the gateway's reads without one.
  pool.connect = (callback?: (err: Error | undefined, client: Queryable, release: unknown) => void) =>
    callback ? connect((err, client, release) => callback(err, wrap(client), release)) : (connect() as Promise<Queryable>).then(wrap);
  const explain = async (statement: { sql: string; params: unknown[] }, options = "ANALYZE, COSTS OFF, TIMING OFF") => {
    const rows: Array<{ "QUERY PLAN": string }> = await ds.query(`EXPLAIN (${options}) ${statement.sql}`, statement.params);
    return rows.map((r) => r["QUERY PLAN"]).join("\n");
  };
  try {
    const auth = new ApiKeyAuthenticator(ds, 0);
    const readPath = new ReadPath(gatewaySchema(), ds);
    const results: ExplainResult[] = [];
    for (const [role, key] of [
      ["system admin", BENCH_KEYS.systemAdmin],
      ["organization admin", BENCH_KEYS.orgAdmin],
      ["regular user", BENCH_KEYS.regularUser],
    ] as const) {
      const viewer = await auth.authenticate(key);
      const store = { sqlStatements: 0 };
      const ctx: RequestContext = {
        requestId: "explain",
        viewer,
        dataSource: ds,
        loaders: createLoaders(ds, store),
        logger: createLogger("silent"),
        store,
        maxUnpagedBookings: 1_000,
        bookingEvents: false,
        bookingEventsRetentionDays: 30,
      };
      capture.statements.length = 0;
      const answer = await readPath.run("explain", LIST_QUERY, null, ctx, {});
      if (!answer?.data) throw new Error("the read path did not answer the benchmark's list query");
      // The page and its total run concurrently, as two statements: told apart by their text.
      const count = capture.statements.find((st) => st.sql.startsWith(`SELECT count(*)`));
      const list = capture.statements.find((st) => st !== count);
      if (!list || !count) throw new Error(`expected a list and a count statement, got ${capture.statements.length}`);
      for (const [kind, statement] of [
        ["list", list],
        ["count", count],
      ] as const) {
        results.push({ label: `${role}: ${kind}`, sql: statement.sql, params: statement.params, plan: await explain(statement) });
      }
      if (role === "system admin") {
        const [{ n }] = await ds.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM "Booking"`);
        const last = parse(`{ bookings(take: 50, page: ${Math.max(1, Math.ceil(n / 50))}) { nodes { ${LIST_FIELDS} } } }`);
        capture.statements.length = 0;
        if (!(await readPath.run("explain: last page", last, null, ctx, {}))?.data)
          throw new Error("the read path did not answer the last page");
        // The page itself (the first later page also reads the indexes once: page-form.ts).
        const statement = capture.statements.find((st) => st.sql.includes("OFFSET"));
        if (!statement) throw new Error("no statement of the last page was captured");
        results.push({
          label: "system admin: last offset page",
          sql: statement.sql,
          params: statement.params,
          plan: await explain(statement, "ANALYZE, VERBOSE, COSTS OFF, TIMING OFF"),
        });
      }
    }
    return results;
  } finally {
    await ds.destroy();
  }
}
