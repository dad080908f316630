import { createHash } from "node:crypto";
import { createApiKey, createUser, createViewer } from "./support/factories";
import { sleep } from "./support/gateway-process";
import { onlyError, readPathRouted, startTestGateway, type GqlResponse, type TestGateway } from "./support/harness";
import type { AnyJson } from "./support/json";
import { hashApiKey } from "../src/auth/api-key";

/** Bearer API keys, hashed as Cal.com hashes them; every failure is coded. */
describe("authentication", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  const post = (headers: Record<string, string>, query = "{ me { id } }", path = "/graphql") =>
    fetch(`${gw.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ query }),
    });

  it("hashes keys like Cal.com: sha256 hex of the part after cal_", () => {
    // sha256("abc") — a known vector.
    expect(hashApiKey("cal_abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("accepts a key stored by Cal.com (hash of the part after the prefix) and answers as its owner", async () => {
    const { user, key } = await createViewer(gw.dataSource);
    const [{ hashedKey }] = await gw.dataSource.query(`SELECT "hashedKey" FROM "ApiKey" WHERE "userId" = $1`, [user.id]);
    expect(hashedKey).toBe(createHash("sha256").update(key.slice(4)).digest("hex"));
    const res = await gw.gql(`{ me { id email } }`, {}, key);
    expect(res.body).toEqual({ data: { me: { id: user.id, email: user.email } } });
  });

  it.each([
    ["no Authorization header", {}],
    ["an unknown key", { authorization: "Bearer cal_00000000000000000000000000000000" }],
    ["a malformed header", { authorization: "Token abc" }],
    ["an empty bearer", { authorization: "Bearer " }],
  ])("refuses %s with UNAUTHENTICATED and HTTP 401", async (_label, headers) => {
    const res = await post(headers);
    expect(res.status).toBe(401);
    const body: AnyJson = await res.json();
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions).toEqual({ code: "UNAUTHENTICATED" });
    expect(body.data).toBeUndefined();
  });

  it("refuses an expired key with 401 and accepts one expiring in the future", async () => {
    const user = await createUser(gw.dataSource);
    const expired = await createApiKey(gw.dataSource, user, new Date(Date.now() - 1000));
    const res = await gw.gql(`{ me { id } }`, {}, expired);
    expect(res.status).toBe(401);
    expect(onlyError(res).extensions).toEqual({ code: "UNAUTHENTICATED" });
    const valid = await createApiKey(gw.dataSource, user, new Date(Date.now() + 3_600_000));
    expect((await gw.gql(`{ me { id } }`, {}, valid)).body.data).toEqual({ me: { id: user.id } });
  });

  it("refuses a locked user's key with FORBIDDEN", async () => {
    const { key } = await createViewer(gw.dataSource, { locked: true });
    const res = await gw.gql(`{ bookings { totalCount } }`, {}, key);
    expect(res.status).toBe(200);
    expect(onlyError(res).extensions).toEqual({ code: "FORBIDDEN" });
    expect(res.body.data).toBeUndefined();
  });

  it("never reads the key from the URL", async () => {
    const { key } = await createViewer(gw.dataSource);
    const res = await post({}, "{ me { id } }", `/graphql?apiKey=${key}`);
    expect(res.status).toBe(401);
  });

  it("serves introspection without a key (Sandbox loads the schema)", async () => {
    const res = await post({}, "{ __schema { queryType { name } } }");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
    const viaFragment = await post({}, 'query { ...F } fragment F on Query { __typename __type(name: "Booking") { name } }');
    expect(((await viaFragment.json()) as GqlResponse["body"]).data).toEqual({ __typename: "Query", __type: { name: "Booking" } });
  });

  it("does not let introspection smuggle a data field past authentication", async () => {
    const res = await post({}, "{ __typename me { id } }");
    expect(res.status).toBe(401);
  });

  it("never writes the key into the request log", async () => {
    const { key } = await createViewer(gw.dataSource);
    await gw.gql(`query Who { me { id } }`, {}, key);
    await post({ authorization: `Bearer ${key}x` });
    const serialized = JSON.stringify(gw.logLines);
    expect(serialized).not.toContain(key);
    expect(serialized).not.toContain(key.slice(4));
    expect(serialized).not.toContain(hashApiKey(key));
  });
});

/**
 * The key cache (auth/api-key.ts) with a lifetime of 2 s: a key in steady use is looked up again in
 * the background before its record runs out, so the read path's route keeps answering it; a revoked
 * key is still refused within the lifetime; requests for an uncached key at once share one lookup.
 */
describe("the API key cache", () => {
  const LIFETIME_MS = 2_000;
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      env: { API_KEY_CACHE_SECONDS: String(LIFETIME_MS / 1000), RATE_LIMIT_PER_MINUTE: "0", DB_POOL_SIZE: "10" },
    });
  });
  afterAll(() => gw.close());

  const routed = () => readPathRouted(gw.url);

  it("keeps a key in steady use on the read path's route past two lifetimes, and refuses it within a lifetime of its revocation", async () => {
    const { user, key } = await createViewer(gw.dataSource);
    const query = `query KeyInUse { me { id } }`;
    expect((await gw.gql(query, {}, key)).body).toEqual({ data: { me: { id: user.id } } }); // compiled, key looked up
    const before = await routed();
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < 2.25 * LIFETIME_MS) {
      const res = await gw.gql(query, {}, key);
      expect(res.body).toEqual({ data: { me: { id: user.id } } });
      sent += 1;
      await sleep(150);
    }
    // Every one answered by the route: the record never ran out, so none took the unverified key's path.
    expect(await routed()).toBe(before + sent);

    await gw.dataSource.query(`DELETE FROM "ApiKey" WHERE "userId" = $1`, [user.id]);
    const revoked = Date.now();
    let refusedAfter: number | undefined;
    while (Date.now() - revoked < LIFETIME_MS + 1_000) {
      const res = await gw.gql(query, {}, key);
      if (res.status === 401) refusedAfter ??= Date.now() - revoked;
      else expect(refusedAfter).toBeUndefined(); // once refused, never answered again
      await sleep(100);
    }
    expect(refusedAfter).toBeDefined();
    expect(refusedAfter!).toBeLessThanOrEqual(LIFETIME_MS + 300);
  });

  it("looks an uncached key up once for requests that arrive while its lookup runs", async () => {
    const { user, key } = await createViewer(gw.dataSource);
    const query = `query Together { me { id } }`;
    // The lookup waits on a lock of "ApiKey" until every request has arrived.
    const locker = gw.dataSource.createQueryRunner();
    await locker.startTransaction();
    let answers: Awaited<ReturnType<typeof gw.gql>>[];
    try {
      await locker.query(`LOCK TABLE "ApiKey" IN ACCESS EXCLUSIVE MODE`);
      const asked = Promise.all(Array.from({ length: 6 }, () => gw.gql(query, {}, key)));
      await sleep(500);
      await locker.commitTransaction();
      answers = await asked;
    } finally {
      if (locker.isTransactionActive) await locker.rollbackTransaction();
      await locker.release();
    }
    for (const res of answers) expect(res.body).toEqual({ data: { me: { id: user.id } } });
    const cached = await gw.gql(query, {}, key); // the statements of a request whose key is cached
    const own = Number(cached.headers.get("x-sql-statements"));
    const total = answers.reduce((sum, res) => sum + Number(res.headers.get("x-sql-statements")), 0);
    expect(total).toBe(6 * own + 1);
  });
});
