import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { hashApiKey } from "../src/auth/api-key";

/**
 * Failure behaviour of the real process (the built entry point) against a PostgreSQL of its own that
 * the test stops and starts: waiting for the database at start, losing it under load and
 * recovering, and SIGTERM under load.
 */
const ROOT = path.join(__dirname, "..");
const POSTGRES = path.join(__dirname, "support", "postgres-process.js");
const MAIN = path.join(ROOT, "dist", "src", "main.js");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function run(file: string, args: string[], env: Record<string, string> = {}): Proc {
  const { DATABASE_URL: _omit, ...inherited } = process.env;
  const child = spawn(process.execPath, [file, ...args], { env: { ...inherited, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  return { child, output: () => out, exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const stop = (p: Proc, signal: NodeJS.Signals = "SIGTERM") => {
  if (p.child.exitCode === null) p.child.kill(signal);
  return p.exited;
};

describe("database outages and shutdown (real process)", () => {
  let dir: string;
  let pgPort: number;
  let pg: Proc | undefined;
  let dbUrl: string;
  let gateway: Proc | undefined;
  let httpPort: number;
  const key = "cal_" + randomBytes(16).toString("hex");

  const startPostgres = async () => {
    pg = run(POSTGRES, [path.join(dir, "pg"), String(pgPort)]);
    return until("postgres", () => /postgres:\/\/\S+/.exec(pg!.output())?.[0]);
  };
  const gql = async (query = "{ me { id } }") => {
    const began = Date.now();
    const res = await fetch(`http://127.0.0.1:${httpPort}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ query }),
    });
    const body = (await res.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
    return { status: res.status, body, ms: Date.now() - began, finishedAt: Date.now() };
  };
  const ready = async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "gateway-outage-"));
    chmodSync(dir, 0o755);
    pgPort = await freePort();
    httpPort = await freePort();
    dbUrl = await startPostgres();
    await stop(pg!); // the gateway starts while its database is down
  });
  afterAll(async () => {
    if (gateway) await stop(gateway, "SIGKILL");
    if (pg) await stop(pg);
    rmSync(dir, { recursive: true, force: true });
  });

  it("waits for a database that is down at start, answering /readyz 503 until it connects", async () => {
    gateway = run(MAIN, [], {
      DATABASE_URL: dbUrl,
      PORT: String(httpPort),
      LOG_LEVEL: "info",
      API_KEY_CACHE_SECONDS: "0",
      RATE_LIMIT_PER_MINUTE: "0",
      MAX_UNPAGED_BOOKINGS: "10000",
      MAX_QUERY_COST: "200000",
    });
    await until("http server", async () => (await ready().catch(() => 0)) === 503);
    await until("a retry in the log", () => gateway!.output().includes("database unavailable; retrying"));
    const early = await gql();
    expect(early.status).toBe(503);
    expect(early.body.errors?.[0].extensions?.code).toBe("SERVICE_UNAVAILABLE");

    await startPostgres();
    await until("readiness", async () => (await ready()) === 200, 40_000);
    expect(gateway.output()).toContain("ready at http://localhost:");
    // A user and key, now that the migrations have run.
    const c = new Client({ connectionString: dbUrl });
    await c.connect();
    const { rows } = await c.query(`INSERT INTO users (email, username) VALUES ('outage@example.test', 'outage') RETURNING id`);
    await c.query(`INSERT INTO "ApiKey" (id, "userId", "hashedKey") VALUES ($1, $2, $3)`, [
      randomBytes(8).toString("hex"),
      rows[0].id,
      hashApiKey(key),
    ]);
    // Enough of the user's bookings that listing them all takes a while (in-flight requests at SIGTERM).
    await c.query(
      `INSERT INTO "Booking" (uid, title, "startTime", "endTime", "userId") SELECT 'o-' || g, 'Outage ' || g, now(), now(), $1 FROM generate_series(1, 5000) g`,
      [rows[0].id],
    );
    await c.end();
    expect((await gql()).status).toBe(200);
  });

  it("fails fast with SERVICE_UNAVAILABLE while the database is gone under load, and recovers by itself", async () => {
    let running = true;
    const outcomes: Array<{ status: number; code?: string; ms: number }> = [];
    const load = (async () => {
      while (running) {
        const r = await gql().catch(() => ({ status: 0, body: {}, ms: 0 }) as never);
        outcomes.push({ status: r.status, code: r.body?.errors?.[0]?.extensions?.code, ms: r.ms });
        await sleep(20);
      }
    })();
    try {
      await sleep(500);
      await stop(pg!); // Postgres goes away mid-load
      await until("503s", () => outcomes.filter((o) => o.status === 503).length >= 5, 20_000);
      expect(await ready()).toBe(503);
      await startPostgres();
      await until("recovery", async () => (await gql()).status === 200, 40_000);
    } finally {
      running = false; // a failed wait must not leave the load running (jest would never exit)
      await load;
    }
    const failures = outcomes.filter((o) => o.status !== 200);
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f).toMatchObject({ status: 503, code: "SERVICE_UNAVAILABLE" });
      expect(f.ms).toBeLessThan(10_000); // never hangs past REQUEST_TIMEOUT_MS (default 10 s)
    }
    expect(await ready()).toBe(200);
  });

  it("on SIGTERM under load finishes in-flight requests, refuses new ones and exits within bounded time", async () => {
    const query = "{ me { id } bookings { totalCount nodes { id attendees { id } } } }";
    const inFlight = Array.from({ length: 10 }, () => gql(query));
    // Each lists 5,000 bookings; their answers are built one after another, so when the first is
    // back the others are received and still being served (a fixed wait was too long once the
    // gateway got faster).
    await Promise.race(inFlight);
    const began = Date.now();
    gateway!.child.kill("SIGTERM");
    const results = await Promise.all(inFlight);
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(results.every((r) => (r.body.data as { bookings: { totalCount: number } }).bookings.totalCount === 5000)).toBe(true);
    expect(results.filter((r) => r.finishedAt > began).length).toBeGreaterThan(0); // really in flight at SIGTERM
    const code = await gateway!.exited;
    expect(code).toBe(0);
    expect(Date.now() - began).toBeLessThan(15_000);
    await expect(gql()).rejects.toThrow(); // nobody listens any more
    gateway = undefined;
  });
});
