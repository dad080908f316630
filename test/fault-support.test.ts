import { randomBytes } from "node:crypto";
import net from "node:net";
import Redis from "ioredis";
import { Client } from "pg";
import { adminUrl, TEMPLATE_DB, urlForDatabase } from "./support/env";
import { startHungRedis, type HungRedis } from "./support/fake-redis";
import { postGraphql, sleep, startGatewayProcess, type GatewayProcess } from "./support/gateway-process";
import { backendMemory } from "../bench/proc-memory";
import { startTcpProxy, throughProxy, type TcpProxy } from "./support/tcp-proxy";

/**
 * The fault-injection helpers against real things: the proxy in front of the test Postgres, ioredis
 * against the hung Redis, /proc against the test's own backend, and the built gateway as a process.
 */
const TIMED_OUT = Symbol("timed out");
const within = <T>(ms: number, promise: Promise<T>) => Promise.race([promise, sleep(ms).then(() => TIMED_OUT)]);
const timed = async (work: () => Promise<unknown>) => {
  const began = Date.now();
  await work();
  return Date.now() - began;
};

describe("tcp proxy in front of Postgres", () => {
  let proxy: TcpProxy;
  const clients: Client[] = [];
  const sockets: net.Socket[] = [];

  const client = () => {
    const c = new Client({ connectionString: throughProxy(adminUrl(), proxy) });
    c.on("error", () => undefined); // the faults below make it error on purpose
    clients.push(c);
    return c;
  };
  const connected = async () => {
    const c = client();
    await c.connect();
    return c;
  };
  const one = async (c: Client) => (await c.query("SELECT 1 AS one")).rows[0].one as number;

  beforeEach(async () => {
    const target = new URL(adminUrl());
    proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port || 5432) });
  });
  afterEach(async () => {
    await proxy.close(); // ends every client's socket, so no client.end() waits on a partition
    for (const s of sockets.splice(0)) s.destroy();
    clients.length = 0;
  });

  it("pass: forwards both ways", async () => {
    const c = await connected();
    expect(await one(c)).toBe(1);
    expect(proxy.mode).toBe("pass");
    expect(proxy.connections()).toBe(1);
  });

  it("blackhole: no answer and no close; new connections wait; bytes flow again after pass", async () => {
    const c = await connected();
    const closed = new Promise((resolve) => c.once("end", () => resolve("end")));
    // A raw connection, to show that bytes flow again on a connection open through the partition.
    const raw = net.connect(proxy.port, "127.0.0.1");
    sockets.push(raw);
    raw.on("error", () => undefined);
    await new Promise((resolve) => raw.once("connect", resolve));
    await until(() => proxy.connections() === 2);

    proxy.setMode("blackhole");
    const query = c.query("SELECT 1");
    query.catch(() => undefined);
    expect(await within(1_000, query)).toBe(TIMED_OUT);
    expect(await within(0, closed)).toBe(TIMED_OUT); // no FIN, no RST
    const late = client();
    const connecting = late.connect();
    connecting.catch(() => undefined);
    expect(await within(500, connecting)).toBe(TIMED_OUT); // accepted, left pending
    const sslRequest = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]); // answered by one byte, N or S
    const answer = () => new Promise<Buffer>((resolve) => raw.once("data", resolve));
    raw.write(sslRequest);
    expect(await within(300, answer())).toBe(TIMED_OUT);

    proxy.setMode("pass");
    raw.write(sslRequest); // the first one was lost: the server sees only this one
    const reply = await within(2_000, answer());
    expect(reply).toBeInstanceOf(Buffer);
    expect(["N", "S"]).toContain((reply as Buffer).toString("latin1", 0, 1));
    expect(await within(2_000, connecting)).not.toBe(TIMED_OUT); // the pending one goes through once healed
    expect(await one(late)).toBe(1);
  });

  it("blackhole: a connection the server closed meanwhile is reset when the partition heals", async () => {
    const c = await connected();
    const pid = (await c.query("SELECT pg_backend_pid() AS pid")).rows[0].pid as number;
    const ended = new Promise((resolve) => c.once("end", () => resolve("end")));
    proxy.setMode("blackhole");
    const admin = new Client({ connectionString: adminUrl() });
    await admin.connect();
    try {
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      await until(async () => (await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [pid])).rowCount === 0);
    } finally {
      await admin.end();
    }
    expect(await within(300, ended)).toBe(TIMED_OUT); // its FATAL and FIN were lost
    proxy.setMode("pass");
    expect(await within(1_000, ended)).toBe("end");
    expect(proxy.connections()).toBe(0);
  });

  it("reset: current connections get an error, new ones are reset until pass", async () => {
    const c = await connected();
    const errored = new Promise<Error>((resolve) => c.once("error", resolve));
    proxy.setMode("reset");
    const error = await within(2_000, errored);
    expect(error).not.toBe(TIMED_OUT);
    expect((error as Error).message).toMatch(/ECONNRESET|terminated unexpectedly/);
    await expect(client().connect()).rejects.toThrow();
    expect(proxy.connections()).toBe(0);
    proxy.setMode("pass");
    expect(await one(await connected())).toBe(1);
  });

  it("delay: adds the latency to each direction", async () => {
    const c = await connected();
    const baseline = await timed(() => one(c));
    proxy.setMode("delay", { ms: 250 });
    const delayed = await timed(() => one(c));
    expect(delayed).toBeGreaterThanOrEqual(500 - 2); // the query and its answer, 250 ms each
    expect(delayed).toBeLessThan(500 + 1_000);
    proxy.setMode("pass");
    expect(await timed(() => one(c))).toBeLessThan(250 + baseline);
  });

  async function until(probe: () => boolean | Promise<boolean>) {
    for (let i = 0; i < 50 && !(await probe()); i++) await sleep(20);
    expect(await probe()).toBe(true);
  }
});

describe("hung Redis", () => {
  let redis: HungRedis | undefined;
  let client: Redis | undefined;
  afterEach(async () => {
    client?.disconnect();
    await redis?.close();
    client = redis = undefined;
  });

  it("never answers: a command with commandTimeout 200 rejects within about a second", async () => {
    redis = await startHungRedis();
    client = new Redis(redis.url, { commandTimeout: 200, maxRetriesPerRequest: 0 });
    client.on("error", () => undefined);
    const began = Date.now();
    await expect(client.get("k")).rejects.toThrow(/timed out/i);
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(client.status).toBe("connect"); // connected, its handshake unanswered
    expect(redis.commands().map((c) => c[0].toUpperCase())).toContain("CLIENT"); // read, never answered
  });

  it("handshake mode: the client gets ready, then a command hangs until commandTimeout", async () => {
    redis = await startHungRedis({ handshake: true });
    client = new Redis(redis.url, { commandTimeout: 200, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: "gw" });
    client.on("error", () => undefined);
    const ready = new Promise((resolve) => client!.once("ready", () => resolve("ready")));
    expect(await within(2_000, ready)).toBe("ready");
    const began = Date.now();
    await expect(client.get("k")).rejects.toThrow(/timed out/i);
    const ms = Date.now() - began;
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(1_000);
    expect(redis.commands()).toContainEqual(["get", "k"]);
    expect(redis.commands()).toContainEqual(["client", "setname", "gw"]);
    expect(redis.connections()).toBe(1);
  });

  it("postGraphql turns no answer into a clear error at its deadline", async () => {
    redis = await startHungRedis(); // any server that never answers will do
    const began = Date.now();
    await expect(postGraphql(`http://127.0.0.1:${redis.port}/graphql`, "{ me { id } }", undefined, undefined, 300)).rejects.toThrow(
      /no answer from .* within 300 ms/,
    );
    expect(Date.now() - began).toBeLessThan(1_000);
  });
});

describe("pg memory", () => {
  it("reads Pss_Anon and Rss of the test's own backend", async () => {
    const url = new URL(adminUrl());
    if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) {
      console.warn(`[fault-support] skipped: Postgres at ${url.host} is not local, its /proc is not ours`);
      return;
    }
    const c = new Client({ connectionString: adminUrl(), application_name: "pg-memory-self-test" });
    await c.connect();
    try {
      const pid = (await c.query("SELECT pg_backend_pid() AS pid")).rows[0].pid as number;
      const backends = await backendMemory(c, url.pathname.slice(1) || "postgres");
      const own = backends.find((b) => b.pid === pid);
      expect(own?.applicationName).toBe("pg-memory-self-test");
      expect(own?.reason).toBeUndefined();
      expect(own!.memory!.pssAnonBytes).toBeGreaterThan(0);
      expect(own!.memory!.rssBytes).toBeGreaterThan(own!.memory!.pssAnonBytes);
    } finally {
      await c.end();
    }
  });
});

describe("gateway process", () => {
  let gateway: GatewayProcess | undefined;
  const database = `gw_test_${randomBytes(6).toString("hex")}`;
  beforeAll(async () => {
    const admin = new Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${database}" TEMPLATE "${TEMPLATE_DB}"`);
    await admin.end();
  });
  afterAll(async () => {
    if (gateway) await gateway.stop("SIGKILL");
    const admin = new Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  });

  it("starts the built gateway on the port its banner names, answers, reports memory and stops on SIGTERM", async () => {
    gateway = await startGatewayProcess({
      env: { DATABASE_URL: urlForDatabase(database), DB_MIGRATIONS: "off", LOG_LEVEL: "warn" },
    });
    expect(gateway.port).toBeGreaterThan(0);
    expect(gateway.output()).toContain(`ready at http://localhost:${gateway.port}/graphql`);
    expect(await gateway.readyz()).toBe(200);
    const res = await gateway.gql("{ me { id } }", undefined, "cal_" + "0".repeat(32));
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    expect(res.ms).toBeGreaterThanOrEqual(0);
    expect(gateway.alive()).toBe(true);
    expect(gateway.rssBytes()).toBeGreaterThan(20 * 1024 * 1024);
    expect(await gateway.stop()).toBe(0);
    expect(gateway.alive()).toBe(false);
    expect(gateway.rssBytes()).toBeUndefined();
    gateway = undefined;
  });
});
