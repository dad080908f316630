import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { AnyJson } from "./support/json";

/**
 * `npm start` end to end, as a user runs it: the built entry point (`node dist/src/main.js`, which
 * `npm test` builds first) starting an embedded Postgres, migrating, loading demo data, printing
 * the demo keys; clean shutdown; reuse of the data on the next start; clear messages for a stale
 * server and a busy port.
 */
const ENTRY = path.join(__dirname, "..", "dist", "src", "main.js");
const RESET = path.join(__dirname, "..", "dist", "src", "reset.js");

interface Started {
  child: ChildProcess;
  port: number;
  keys: { user: string; orgAdmin: string; systemAdmin: string };
  output: () => string;
  ms: number;
}

function run(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, [ENTRY], { env: { ...inherited, PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function start(env: Record<string, string>): Promise<Started> {
  const began = Date.now();
  const { child, output, exited } = run(env);
  const deadline = Date.now() + 60_000;
  while (!/system admin\s+cal_[0-9a-f]{32}/.test(output())) {
    if (Date.now() > deadline) throw new Error(`no banner within 60 s:\n${output()}`);
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}:\n${output()}`);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
  }
  const text = output();
  return {
    child,
    output,
    ms: Date.now() - began,
    port: Number(/ready at http:\/\/localhost:(\d+)\/graphql/.exec(text)![1]),
    keys: {
      user: /regular user \(bob\)\s+(cal_\w+)/.exec(text)![1],
      orgAdmin: /organization admin \(alice\)\s+(cal_\w+)/.exec(text)![1],
      systemAdmin: /system admin\s+(cal_\w+)/.exec(text)![1],
    },
  };
}

async function gql(port: number, key: string, query: string) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data?: AnyJson; errors?: unknown[] };
}

function stop(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once("exit", (code) => resolve(code));
    child.kill(signal);
  });
}

/** `npm run reset`'s entry point on `dataDir` (DATABASE_URL unset unless given): its exit code and output. */
async function runReset(dataDir: string, databaseUrl = ""): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [RESET], {
    env: { ...process.env, DATABASE_URL: databaseUrl, EMBEDDED_PG_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  return { code, out };
}

describe("npm start (embedded Postgres, demo data)", () => {
  let dir: string;
  let dataDir: string;
  beforeAll(() => {
    if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` (npm test does)`);
    dir = mkdtempSync(path.join(os.tmpdir(), "gateway-start-"));
    chmodSync(dir, 0o755);
    dataDir = path.join(dir, ".data", "postgres");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("starts from nothing, serves demo data to each demo key, and shuts down cleanly", async () => {
    const s = await start({ EMBEDDED_PG_DIR: dataDir });
    try {
      expect(s.ms).toBeLessThan(30_000);
      expect(s.output()).toContain('"msg":"demo data loaded"');
      const asUser = await gql(s.port, s.keys.user, "{ me { username } bookings { totalCount } }");
      const asOrgAdmin = await gql(s.port, s.keys.orgAdmin, "{ me { username } }");
      const asAdmin = await gql(s.port, s.keys.systemAdmin, "{ me { role } bookings(take: 1) { totalCount } }");
      expect(asUser.data.me.username).toBe("bob");
      // The start page (outside production) and the banner say where everything is.
      const home = await fetch(`http://127.0.0.1:${s.port}/`);
      expect(home.status).toBe(200);
      expect(home.headers.get("content-type")).toMatch(/text\/html/);
      const page = await home.text();
      for (const link of ["/graphql", "/healthz", "/readyz", "/metrics"]) expect(page).toContain(`href="${link}"`);
      expect(page).toContain(s.keys.user);
      expect(s.output()).toContain(`Start page: http://localhost:${s.port}/`);
      expect(s.output()).toContain(`http://localhost:${s.port}/metrics`);
      expect(s.output()).toMatch(new RegExp(`curl -s http://localhost:${s.port}/graphql -H "authorization: Bearer ${s.keys.user}"`));
      expect(asOrgAdmin.data.me.username).toBe("alice");
      expect(asAdmin.data.me.role).toBe("ADMIN");
      expect(asAdmin.data.bookings.totalCount).toBeGreaterThanOrEqual(300);
      expect(asUser.data.bookings.totalCount).toBeGreaterThan(0);
      expect(asUser.data.bookings.totalCount).toBeLessThan(asAdmin.data.bookings.totalCount);
      const statuses = await gql(s.port, s.keys.systemAdmin, "{ bookings { nodes { status } } }");
      expect(new Set(statuses.data.bookings.nodes.map((n: { status: string }) => n.status))).toEqual(
        new Set(["ACCEPTED", "PENDING", "CANCELLED", "REJECTED", "AWAITING_HOST"]),
      );
    } finally {
      expect(await stop(s.child)).toBe(0);
    }
    expect(s.output()).toContain('"msg":"stopped"');
    expect(existsSync(path.join(dataDir, "postmaster.pid"))).toBe(false); // the embedded server stopped too
  });

  it("reuses the data on the next start (no second demo load, same keys)", async () => {
    const s = await start({ EMBEDDED_PG_DIR: dataDir });
    try {
      expect(s.output()).not.toContain("demo data loaded");
      expect(s.output()).toContain('"created":false');
      const res = await gql(s.port, s.keys.systemAdmin, "{ bookings(take: 1) { totalCount } }");
      expect(res.data.bookings.totalCount).toBeGreaterThanOrEqual(300);
    } finally {
      expect(await stop(s.child, "SIGINT")).toBe(0);
    }
  });

  it("tells a live gateway on the same data from a stale server, and leaves the live one running", async () => {
    const s = await start({ EMBEDDED_PG_DIR: dataDir });
    try {
      const again = run({ EMBEDDED_PG_DIR: dataDir });
      expect(await again.exited).toBe(1);
      expect(again.output()).toContain(
        `A gateway is already running on this database (pid ${s.child.pid}, http://localhost:${s.port}/graphql`,
      );
      expect(again.output()).not.toContain("left over");
      // npm run reset refuses too, and deletes nothing.
      const reset = await runReset(dataDir);
      expect(reset.code).toBe(1);
      expect(reset.out).toContain("A gateway is already running");
      expect(existsSync(path.join(dataDir, "PG_VERSION"))).toBe(true);
      // The first gateway still serves.
      expect((await gql(s.port, s.keys.user, "{ me { username } }")).data.me.username).toBe("bob");
    } finally {
      expect(await stop(s.child)).toBe(0);
    }
    expect(existsSync(path.join(dataDir, "gateway.json"))).toBe(false);
  });

  it("explains a stale embedded server left by a killed run", async () => {
    const s = await start({ EMBEDDED_PG_DIR: dataDir });
    await stop(s.child, "SIGKILL"); // node dies; its postgres child survives
    const pid = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    try {
      const again = run({ EMBEDDED_PG_DIR: dataDir });
      expect(await again.exited).toBe(1);
      expect(again.output()).toContain("left over from a killed run is still running");
      expect(again.output()).toContain("no gateway uses it");
      expect(again.output()).toContain(`kill ${pid}`);
      expect(again.output()).not.toContain("undefined");
    } finally {
      process.kill(pid, "SIGINT");
      for (let i = 0; i < 100 && existsSync(path.join(dataDir, "postmaster.pid")); i += 1) await new Promise((r) => setTimeout(r, 100));
    }
  });

  it("explains a busy embedded Postgres port", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = run({ EMBEDDED_PG_DIR: dataDir, EMBEDDED_PG_PORT: String(port) });
      expect(await r.exited).toBe(1);
      expect(r.output()).toContain(`Port ${port} for the embedded PostgreSQL is already in use`);
      expect(r.output()).not.toContain("undefined");
    } finally {
      blocker.close();
    }
  });

  it("explains a busy HTTP port without a stack, and stops its embedded server", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "0.0.0.0", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = run({ EMBEDDED_PG_DIR: dataDir, PORT: String(port) });
      expect(await r.exited).toBe(1);
      expect(r.output()).toContain(`Cannot start: port ${port} is already in use`);
      expect(r.output()).toContain(`PORT=${port + 1} npm start`);
      expect(r.output()).not.toMatch(/^\s+at /m);
      expect(existsSync(path.join(dataDir, "postmaster.pid"))).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it("refuses a bad setting with a clear message", async () => {
    const r = run({ EMBEDDED_PG_DIR: dataDir, DB_MIGRATIONS: "sometimes" });
    expect(await r.exited).toBe(1);
    expect(r.output()).toContain("DB_MIGRATIONS must be one of run, off");
  });

  it("npm run reset deletes the embedded database wherever it is, then has nothing to do", async () => {
    expect(existsSync(path.join(dataDir, "PG_VERSION"))).toBe(true);
    const first = await runReset(dataDir);
    expect(first).toEqual({ code: 0, out: expect.stringContaining(`Deleted the embedded database at ${dataDir}`) });
    expect(existsSync(dataDir)).toBe(false);
    expect(await runReset(dataDir)).toEqual({
      code: 0,
      out: expect.stringContaining(`Nothing to reset: there is no embedded database at ${dataDir}`),
    });
    // A DATABASE_URL database is never touched.
    expect((await runReset(dataDir, "postgres://127.0.0.1:1/x")).code).toBe(1);
  });
});
