import { createHash } from "node:crypto";
import type { DataSource } from "typeorm";
import { createDataSource } from "../src/db/data-source";
import { urlForDatabase } from "./support/env";
import { createEventType, createViewer } from "./support/factories";
import { startHungRedis, type HungRedis } from "./support/fake-redis";
import { sleep, startGatewayProcess, until, type GatewayProcess, type GqlResult } from "./support/gateway-process";
import { createTestDatabase, dropTestDatabase, startTestGateway, type TestGateway } from "./support/harness";

/**
 * The issue "the gateway under database faults", item 6: a Redis that accepts connections, completes
 * the client's handshake and then never answers used to hang every request (the rate limiter waited
 * on it). The contract: every Redis call is bounded (200 ms), past it the in-memory limiter decides,
 * no request waits on Redis longer than that, and the request deadline starts before it.
 */

/** Commands ioredis sends on connect, which the hung Redis answers; anything else it never answers. */
const HANDSHAKE = new Set(["auth", "select", "client", "info"]);
const ANSWER_WITHIN_MS = 1_000;

/** ioredis is "ready" once its INFO (the last handshake command) is answered; then commands go to the hung server. */
async function redisReady(redis: HungRedis) {
  await until(
    "the gateway's Redis client to finish its handshake",
    () => redis.commands().some((c) => c[0].toLowerCase() === "info"),
    10_000,
  );
  await sleep(100);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

describe("a hung Redis (issue item 6)", () => {
  let name: string;
  let ds: DataSource;
  let redis: HungRedis;
  let gw: GatewayProcess | undefined;
  let key: string;
  let eventTypeId: number;

  beforeAll(async () => {
    name = await createTestDatabase();
    ds = await createDataSource({ url: urlForDatabase(name), poolSize: 2 }).initialize();
    const viewer = await createViewer(ds);
    key = viewer.key;
    eventTypeId = (await createEventType(ds, { userId: viewer.user.id, length: 30 })).id;
    redis = await startHungRedis({ handshake: true });
    gw = await startGatewayProcess({
      env: {
        DATABASE_URL: urlForDatabase(name),
        DB_MIGRATIONS: "off",
        LOG_LEVEL: "warn",
        REDIS_URL: redis.url,
        RATE_LIMIT_PER_MINUTE: "1000", // on: every request asks the (hung) Redis first
      },
    });
    await redisReady(redis);
  });
  afterAll(async () => {
    await gw?.stop("SIGKILL");
    await redis?.close();
    await ds?.destroy();
    await dropTestDatabase(name);
  });

  const commandsBeyondHandshake = () => redis.commands().filter((c) => !HANDSHAKE.has(c[0].toLowerCase()));

  const expectAnsweredInTime = (res: GqlResult, what: string) => {
    expect({ what, status: res.status, errors: res.body.errors, limit: res.headers.get("ratelimit-limit") }).toEqual({
      what,
      status: 200,
      errors: undefined,
      limit: "1000",
    });
    expect(res.ms).toBeLessThan(ANSWER_WITHIN_MS);
  };

  it("answers every request with 200 within a second, one after another and 20 at once, the in-memory limiter counting", async () => {
    expect(redis.connections()).toBeGreaterThan(0); // the gateway did connect to it
    const times: number[] = [];
    const remaining: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      const res =
        i % 2
          ? await gw!.gql(`{ me { id } bookings(take: 5) { totalCount } }`, undefined, key, 10_000)
          : await gw!.gql(
              `mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }`,
              {
                input: {
                  eventTypeId,
                  start: new Date(Date.UTC(2036, 0, 1 + i, 9)).toISOString(),
                  timeZone: "UTC",
                  responses: { name: "R", email: `r${i}@example.test` },
                },
              },
              key,
              10_000,
            );
      expectAnsweredInTime(res, `request ${i}`);
      times.push(res.ms);
      remaining.push(Number(res.headers.get("ratelimit-remaining")));
    }
    // The fallback limiter really counts: one point per request.
    for (let i = 1; i < remaining.length; i += 1) expect(remaining[i]).toBe(remaining[i - 1] - 1);

    const parallel = await Promise.all(Array.from({ length: 20 }, () => gw!.gql(`{ me { id } }`, undefined, key, 10_000)));
    parallel.forEach((res, i) => expectAnsweredInTime(res, `parallel request ${i}`));
    times.push(...parallel.map((r) => r.ms));

    // The premise: each request did ask Redis (and got no answer), so the bound is what saved it.
    expect(commandsBeyondHandshake().length).toBeGreaterThanOrEqual(28);
    expect(await gw!.readyz(5_000)).toBe(200);
    expect(gw!.alive()).toBe(true);
    console.log(
      `[faults-redis] hung Redis: ${times.length} answers, median ${median(times)} ms, slowest ${Math.max(...times)} ms; ` +
        `${commandsBeyondHandshake().length} Redis commands left unanswered`,
    );
  });

  it("persisted queries: registering and looking up through a hung Redis answer in time (a cache miss, not a hang)", async () => {
    const query = `query HungApq { me { id } }`;
    const sha256Hash = createHash("sha256").update(query).digest("hex");
    const send = async (body: Record<string, unknown>) => {
      const began = Date.now();
      const res = await fetch(`${gw!.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ ...body, extensions: { persistedQuery: { version: 1, sha256Hash } } }),
        signal: AbortSignal.timeout(10_000),
      });
      const json = (await res.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
      return { status: res.status, json, ms: Date.now() - began };
    };
    const registered = await send({ query });
    expect({ status: registered.status, data: registered.json.data }).toEqual({ status: 200, data: { me: { id: expect.any(Number) } } });
    expect(registered.ms).toBeLessThan(ANSWER_WITHIN_MS);
    const lookedUp = await send({});
    expect({ status: lookedUp.status, code: lookedUp.json.errors?.[0]?.extensions?.code }).toEqual({
      status: 200,
      code: "PERSISTED_QUERY_NOT_FOUND",
    });
    expect(lookedUp.ms).toBeLessThan(ANSWER_WITHIN_MS);
    expect(commandsBeyondHandshake().some((c) => c[0].toLowerCase() === "get" && c[1].includes(sha256Hash))).toBe(true);
    console.log(
      `[faults-redis] persisted query through a hung Redis: registered in ${registered.ms} ms, looked up (miss) in ${lookedUp.ms} ms`,
    );
    expect(gw!.alive()).toBe(true);
  });
});

describe("the request deadline starts before the rate limiter waits on Redis (issue item 6, in process)", () => {
  let redis: HungRedis;
  let gw: TestGateway;

  beforeAll(async () => {
    redis = await startHungRedis({ handshake: true });
    gw = await startTestGateway({ env: { REDIS_URL: redis.url, RATE_LIMIT_PER_MINUTE: "1000", REQUEST_TIMEOUT_MS: "50" } });
    await redisReady(redis);
  });
  afterAll(async () => {
    await gw?.close();
    await redis?.close();
  });

  it("answers 504 TIMEOUT at REQUEST_TIMEOUT_MS (50 ms), before the 200 ms Redis bound has even passed", async () => {
    const { key } = await createViewer(gw.dataSource);
    for (let i = 0; i < 3; i += 1) {
      const began = Date.now();
      const res = await gw.gql(`{ me { id } }`, {}, key);
      const ms = Date.now() - began;
      expect({ status: res.status, code: res.body.errors?.[0]?.extensions?.code }).toEqual({ status: 504, code: "TIMEOUT" });
      // Counting from after the limiter, the answer could not come before 200 + 50 ms.
      expect(ms).toBeLessThan(245);
    }
    expect(redis.commands().some((c) => !HANDSHAKE.has(c[0].toLowerCase()))).toBe(true);
  });
});
