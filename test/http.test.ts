import { APOLLO_STUDIO_ORIGIN } from "../src/config";
import { createViewer } from "./support/factories";
import { createTestDatabase, dropTestDatabase, onlyError, startTestGateway, type TestGateway } from "./support/harness";
import type { AnyJson } from "./support/json";

/** HTTP surface: health, CORS for the hosted Sandbox, GET queries, Sandbox page, production mode, logs, masking. */
describe("HTTP surface", () => {
  let gw: TestGateway;
  let key: string;
  beforeAll(async () => {
    gw = await startTestGateway();
    key = (await createViewer(gw.dataSource)).key;
  });
  afterAll(() => gw.close());

  it("answers /healthz and /readyz", async () => {
    const health = await fetch(`${gw.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
  });

  it("answers a preflight from the hosted Sandbox, listing authorization and content-type", async () => {
    const res = await fetch(`${gw.url}/graphql`, {
      method: "OPTIONS",
      headers: {
        origin: APOLLO_STUDIO_ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
      },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get("access-control-allow-origin")).toBe(APOLLO_STUDIO_ORIGIN);
    const allowed = res.headers
      .get("access-control-allow-headers")!
      .split(",")
      .map((h) => h.trim().toLowerCase());
    expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type"]));
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  });

  it("serves queries over GET (with a CSRF-safe header), never mutations' worth of state", async () => {
    const url = `${gw.url}/graphql?query=${encodeURIComponent("{ me { id } }")}`;
    const ok = await fetch(url, { headers: { authorization: `Bearer ${key}`, "apollo-require-preflight": "true" } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as AnyJson).data.me.id).toEqual(expect.any(Number));
    const simple = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
    expect(simple.status).toBe(400); // Apollo's CSRF prevention: a simple GET is refused
  });

  it("serves the Apollo Sandbox page to a browser outside production", async () => {
    const res = await fetch(`${gw.url}/graphql`, { headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect((await res.text()).toLowerCase()).toContain("sandbox");
  });

  it("writes one structured log line per request with id, operation, viewer, duration and error codes", async () => {
    const res = await fetch(`${gw.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}`, "x-request-id": "req-test-123" },
      body: JSON.stringify({ query: "query Mine { bookings(take: 0) { totalCount } }" }),
    });
    expect(res.headers.get("x-request-id")).toBe("req-test-123");
    const line = gw.logLines.find((l) => l.requestId === "req-test-123");
    expect(line).toMatchObject({
      level: "info",
      msg: "graphql request",
      operationName: "Mine",
      operationType: "query",
      viewerId: expect.any(Number),
      status: 200,
      errorCodes: ["BAD_USER_INPUT"],
      sqlStatements: expect.any(Number),
    });
    expect(typeof line!.durationMs).toBe("number");
    expect(typeof line!.time).toBe("string");
  });

  it("refuses batched requests (a JSON array of operations) unless BATCHED_REQUESTS is on", async () => {
    const batch = JSON.stringify([{ query: "{ me { id } }" }, { query: "{ me { email } }" }]);
    const res = await fetch(`${gw.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: batch,
    });
    expect(res.status).toBe(400);
    const on = await startTestGateway({ databaseName: gw.databaseName, env: { BATCHED_REQUESTS: "true" } });
    try {
      const ok = await fetch(`${on.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: batch,
      });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as unknown[]).length).toBe(2);
    } finally {
      await on.close();
    }
  });

  it("refuses malformed and oversized bodies with a coded error", async () => {
    const bad = await fetch(`${gw.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as AnyJson).errors[0].extensions.code).toBe("BAD_REQUEST");
    const huge = await fetch(`${gw.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `{ me { id } }`, padding: "x".repeat(1_100_000) }),
    });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as AnyJson).errors[0].extensions.code).toBe("BAD_REQUEST");
  });
});

describe("production mode", () => {
  let databaseName: string;
  let prod: TestGateway;
  let key: string;
  beforeAll(async () => {
    databaseName = await createTestDatabase();
    prod = await startTestGateway({ databaseName, env: { NODE_ENV: "production", CORS_ORIGINS: "https://app.example.com" } });
    key = (await createViewer(prod.dataSource)).key;
  });
  afterAll(async () => {
    await prod.close();
    await dropTestDatabase(databaseName);
  });

  it("turns introspection off", async () => {
    const res = await prod.gql(`{ __schema { queryType { name } } }`);
    expect(onlyError(res).extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("serves no Sandbox page", async () => {
    const res = await fetch(`${prod.url}/graphql`, { headers: { accept: "text/html" } });
    expect(res.headers.get("content-type") ?? "").not.toContain("text/html");
    expect((await res.text()).toLowerCase()).not.toContain("sandbox");
  });

  it("allows only the configured CORS origins", async () => {
    const preflight = (origin: string) =>
      fetch(`${prod.url}/graphql`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
      });
    expect((await preflight("https://app.example.com")).headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect((await preflight("https://evil.example.com")).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("omits the SQL statement header", async () => {
    const res = await prod.gql(`{ me { id } }`, {}, key);
    expect(res.headers.get("x-sql-statements")).toBeNull();
  });

  it("can enable introspection explicitly", async () => {
    const open = await startTestGateway({ databaseName, env: { NODE_ENV: "production", INTROSPECTION: "true" } });
    try {
      const res = await open.gql(`{ __schema { queryType { name } } }`);
      expect(res.body.data).toEqual({ __schema: { queryType: { name: "Query" } } });
    } finally {
      await open.close();
    }
  });
});

describe("unexpected failures", () => {
  it("masks them as INTERNAL_SERVER_ERROR without SQL or stack, and logs them with the request id", async () => {
    const gw = await startTestGateway();
    try {
      const { user, key } = await createViewer(gw.dataSource);
      await gw.dataSource.query(
        `INSERT INTO "Booking" (uid, title, "startTime", "endTime", "userId") VALUES ('u-1', 't', now(), now(), $1)`,
        [user.id],
      );
      await gw.dataSource.query(`DROP TABLE "Payment"`); // every read of payments now fails in SQL
      const res = await gw.gql(`{ bookings { nodes { id payment { id } } } }`, {}, key);
      const error = onlyError(res);
      expect(error.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
      expect(error.message).toBe("Internal server error.");
      expect(JSON.stringify(res.body)).not.toMatch(/SELECT|Payment|relation|at .*\.js/);
      const requestId = res.headers.get("x-request-id");
      expect(gw.logLines.find((l) => l.msg === "unexpected error" && l.requestId === requestId)).toMatchObject({
        level: "error",
        stack: expect.any(String),
      });
    } finally {
      await gw.close();
    }
  });

  it("answers SERVICE_UNAVAILABLE (HTTP 503) and /readyz 503 when the pool is gone", async () => {
    const gw = await startTestGateway();
    try {
      const { key } = await createViewer(gw.dataSource);
      expect((await gw.gql(`{ me { id } }`, {}, key)).status).toBe(200);
      await gw.dataSource.destroy();
      const res = await gw.gql(`{ bookings { totalCount } }`, {}, key);
      expect(res.status).toBe(503);
      expect(onlyError(res).extensions).toEqual({ code: "SERVICE_UNAVAILABLE" });
      expect((await fetch(`${gw.url}/readyz`)).status).toBe(503);
    } finally {
      await gw.close();
    }
  });
});
