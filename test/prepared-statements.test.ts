import type { Pool } from "pg";
import { loadConfig } from "../src/config";
import { createDataSource } from "../src/db/data-source";
import { executeArguments, GatewayClient, MAX_PREPARED_PER_CONNECTION, runPrepared } from "../src/db/pg-client";
import { adminUrl } from "./support/env";

/**
 * Named prepared statements are bounded per connection: past MAX_PREPARED_PER_CONNECTION shapes the
 * least recently used is deallocated on the server, and a statement used again is prepared again.
 * Checked on a real connection, against Postgres' own `pg_prepared_statements`.
 */
describe("prepared statements per connection", () => {
  let client: GatewayClient;

  beforeAll(async () => {
    client = new GatewayClient({ connectionString: adminUrl() });
    await client.connect();
  });

  afterAll(async () => {
    await client.end();
  });

  const onServer = async (): Promise<string[]> => {
    const result = (await client.query("SELECT name FROM pg_prepared_statements ORDER BY name")) as { rows: Array<{ name: string }> };
    return result.rows.map((r) => r.name);
  };

  it("keeps at most MAX_PREPARED_PER_CONNECTION, deallocating the least recently used on the server", async () => {
    const shapes = MAX_PREPARED_PER_CONNECTION + 20;
    const name = (i: number) => `prepared_bound_${String(i).padStart(3, "0")}`;
    for (let i = 0; i < shapes; i += 1) {
      // Statement 0 is used before every other one: always the most recently used, never dropped.
      expect((await runPrepared<{ n: number }>(client, name(0), "SELECT $1::int AS n", [i])).rows[0].n).toBe(i);
      if (i > 0) expect((await runPrepared<{ n: number }>(client, name(i), `SELECT $1::int + ${i} AS n`, [1])).rows[0].n).toBe(i + 1);
    }
    const server = await onServer();
    expect(server.length).toBe(MAX_PREPARED_PER_CONNECTION);
    expect(client.prepared.size).toBe(MAX_PREPARED_PER_CONNECTION);
    expect(GatewayClient.maxPrepared()).toBeLessThanOrEqual(MAX_PREPARED_PER_CONNECTION);
    // The driver's view and the server's agree: the oldest shapes went, the first and the newest stayed.
    expect(new Set(server)).toEqual(new Set(client.prepared.keys()));
    expect(server).toContain(name(0));
    expect(server).toContain(name(shapes - 1));
    expect(server).not.toContain(name(1));
    // A dropped shape runs again (prepared anew, evicting the then least recently used).
    expect((await runPrepared<{ n: number }>(client, name(1), "SELECT $1::int + 1 AS n", [1])).rows[0].n).toBe(2);
    const after = await onServer();
    expect(after.length).toBe(MAX_PREPARED_PER_CONNECTION);
    expect(after).toContain(name(1));
  });

  it("a traced run's EXECUTE literals reach Postgres as the bound values do (tracing's sqlcommenter path)", async () => {
    const text = `SELECT $1::int AS int, $2::text AS text, $3::timestamptz AS tz, $4::timestamp AS ts, $5::int[] AS ints,
      $6::text[] AS texts, $7::jsonb AS json, $8::boolean AS bool, $9::text AS none, $10::bigint AS big, $11::numeric AS num,
      $12::text AS unicode, $13::text AS empty`;
    const values = [
      -42,
      "it's a \\ back'slash\nand a newline; DROP TABLE x; --",
      new Date(Date.UTC(2026, 2, 8, 7, 30, 15, 123)),
      new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999)),
      [1, null, 3],
      ["a'b", 'c"d', "e\\f", null, "", "{x,y}"],
      { a: "x'y\\z", b: [1, { c: null }], "d'": true },
      false,
      null,
      "9007199254740993",
      "12345.678900",
      "Zoë ✓ 日本",
      "",
    ];
    const bound = (await runPrepared<Record<string, unknown>>(client, "execute_literals", text, values)).rows;
    const literals = executeArguments(values);
    expect(literals).toBeDefined();
    const executed = ((await client.query(`EXECUTE "execute_literals"${literals}`)) as { rows: Array<Record<string, unknown>> }).rows;
    expect(executed).toEqual(bound);
    expect(executed[0].text).toBe(values[1]);
    expect(executed[0].texts).toEqual(values[5]);
    expect(executed[0].json).toEqual(values[6]);
    // No values: no argument list. A binary value cannot be written as a literal here.
    expect(executeArguments([])).toBe("");
    expect(executeArguments([Buffer.from("x")])).toBeUndefined();
  });
});

/**
 * Idle pooled connections, and with them their prepared statements, are kept DB_IDLE_TIMEOUT_MS
 * (default 5 minutes) rather than node-postgres' 10 s: a pause longer than that used to make the next
 * request reconnect and prepare its statement again (15 ms instead of 3 after an 11 s pause).
 */
describe("idle pooled connections", () => {
  const pidAfterPause = async (idleTimeoutMs: number, pauseMs: number) => {
    const ds = await createDataSource({ url: adminUrl(), poolSize: 1, idleTimeoutMs }).initialize();
    try {
      const pool = (ds.driver as unknown as { master: Pool }).master;
      const run = async () => {
        const client = (await pool.connect()) as unknown as GatewayClient & { release(): void };
        try {
          const pid = (await runPrepared<{ pid: number }>(client, "idle_kept", "SELECT pg_backend_pid() AS pid", [])).rows[0].pid;
          const held = await client.query("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = 'idle_kept'");
          return { pid, held: (held as { rows: Array<{ n: number }> }).rows[0].n };
        } finally {
          client.release();
        }
      };
      const before = await run();
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      return { before, after: await run() };
    } finally {
      await ds.destroy();
    }
  };

  it("keeps a connection and its prepared statement across a pause shorter than the idle timeout", async () => {
    const { before, after } = await pidAfterPause(5_000, 600);
    expect(after.pid).toBe(before.pid);
    expect(after.held).toBe(1);
  });

  it("closes a connection idle longer than the idle timeout (the next one prepares its statement again)", async () => {
    const { before, after } = await pidAfterPause(150, 600);
    expect(after.pid).not.toBe(before.pid);
    expect(before.held).toBe(1);
    expect(after.held).toBe(1);
  });

  it("DB_IDLE_TIMEOUT_MS: 5 minutes unless set, 0 keeps idle connections for good, and nothing else is accepted", () => {
    expect(loadConfig({}).dbIdleTimeoutMs).toBe(300_000);
    expect(loadConfig({ DB_IDLE_TIMEOUT_MS: "0" }).dbIdleTimeoutMs).toBe(0);
    expect(loadConfig({ DB_IDLE_TIMEOUT_MS: "10000" }).dbIdleTimeoutMs).toBe(10_000);
    expect(() => loadConfig({ DB_IDLE_TIMEOUT_MS: "-1" })).toThrow(/DB_IDLE_TIMEOUT_MS/);
    expect(() => loadConfig({ DB_IDLE_TIMEOUT_MS: "soon" })).toThrow(/DB_IDLE_TIMEOUT_MS/);
  });
});
