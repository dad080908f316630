import http from "node:http";
import { createBooking, createViewer } from "./support/factories";
import { createTestDatabase, dropTestDatabase, readPathRouted, startTestGateway, type TestGateway } from "./support/harness";

/**
 * The read path's route (src/server/read-path-route.ts): a query text the read path compiled before
 * is answered without Apollo's pipeline, with the same answer, headers, rate-limit count and log
 * line; whatever goes differently is handed to Apollo and counted once.
 */
describe("the read path's route", () => {
  let databaseName: string;
  let gw: TestGateway;
  let key: string;
  let bookingId: number;

  beforeAll(async () => {
    databaseName = await createTestDatabase();
    gw = await startTestGateway({ databaseName, env: { RATE_LIMIT_PER_MINUTE: "8" } });
    const viewer = await createViewer(gw.dataSource);
    key = viewer.key;
    bookingId = (await createBooking(gw.dataSource, { userId: viewer.user.id, attendees: [{ email: "a@example.test" }] })).id;
  });
  afterAll(async () => {
    await gw?.close();
    await dropTestDatabase(databaseName);
  });

  const routed = () => readPathRouted(gw.url);
  const post = (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}`, ...headers },
      body: JSON.stringify({ query, variables }),
    });
  const headersOf = (res: Response) => {
    const out: Record<string, string> = {};
    res.headers.forEach((value, name) => (out[name] = value));
    // Per request: the first one also looked the key up (one statement more).
    for (const name of ["date", "x-request-id", "ratelimit-remaining", "ratelimit-reset", "keep-alive", "connection", "x-sql-statements"])
      delete out[name];
    return out;
  };

  it("answers a compiled text the second time, with Apollo's bytes, headers, one count and the same log line", async () => {
    const query = `query Mine($id: Int) { booking(id: $id) { id title attendees { email } } bookings(take: 5) { nodes { id } } }`;
    const before = await routed();
    const first = await post(query, { id: bookingId });
    const firstBody = await first.text();
    expect(await routed()).toBe(before);
    const second = await post(query, { id: bookingId });
    const secondBody = await second.text();
    expect(await routed()).toBe(before + 1);
    expect(secondBody).toBe(firstBody);
    expect(headersOf(second)).toEqual(headersOf(first));
    expect(second.headers.get("x-sql-statements")).toBe("2");
    expect(Number(second.headers.get("ratelimit-remaining"))).toBe(Number(first.headers.get("ratelimit-remaining")) - 1);
    expect(second.headers.get("x-request-id")).not.toBe(first.headers.get("x-request-id"));
    const lines = gw.logLines.filter((l) => l.msg === "graphql request" && l.operationName === "Mine");
    expect(lines).toHaveLength(2);
    const shape = (l: Record<string, unknown>) => ({ ...l, time: 0, requestId: 0, durationMs: 0, sqlStatements: 0 });
    expect(shape(lines[1])).toEqual(shape(lines[0]));
    expect(lines[1].requestId).toBe(second.headers.get("x-request-id"));
  });

  it("hands over what goes differently, counted once: not found, other media types, a refused budget", async () => {
    const query = `query One($id: Int) { booking(id: $id) { id } }`;
    await post(query, { id: bookingId });
    const ok = await post(query, { id: bookingId });
    expect(ok.status).toBe(200);
    const routedBefore = await routed();
    const missing = await post(query, { id: 99_999_999 });
    const body = (await missing.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0].extensions.code).toBe("NOT_FOUND");
    expect(Number(missing.headers.get("ratelimit-remaining"))).toBe(Number(ok.headers.get("ratelimit-remaining")) - 1);
    // Another media type is Apollo's to negotiate.
    const graphqlJson = await post(query, { id: bookingId }, { accept: "application/graphql-response+json" });
    expect(graphqlJson.headers.get("content-type")).toMatch(/application\/graphql-response\+json/);
    expect(await routed()).toBe(routedBefore);
    // Spend the rest of the budget through the route, then the refusal is Apollo's 429, counted once.
    let remaining = Number(graphqlJson.headers.get("ratelimit-remaining"));
    while (remaining > 0) {
      const res = await post(query, { id: bookingId });
      expect(Number(res.headers.get("ratelimit-remaining"))).toBe(remaining - 1);
      remaining -= 1;
    }
    const refused = await post(query, { id: bookingId });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBeTruthy();
    expect(((await refused.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe("RATE_LIMITED");
    expect(gw.logLines.filter((l) => l.status === 429 && l.operationName === "One")).toHaveLength(1);
  });

  /** A raw POST /graphql: `chunked` sends no content-length, which the front door leaves to Express's body parser. */
  const rawPost = (body: string, headers: Record<string, string>, chunked: boolean) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const url = new URL(`${gw.url}/graphql`);
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: "/graphql",
          method: "POST",
          headers: chunked ? headers : { ...headers, "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (text += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        },
      );
      req.on("error", reject);
      if (chunked) {
        req.write(body.slice(0, 1));
        req.end(body.slice(1));
      } else req.end(body);
    });

  it("reads bodies as Express would: same answers for malformed, empty and batch bodies, CORS and request ids on both paths", async () => {
    const other = await createViewer(gw.dataSource);
    const headers = { "content-type": "application/json", authorization: `Bearer ${other.key}`, origin: "https://app.example.test" };
    const query = `query Cors { bookings(take: 1) { nodes { id } } }`;
    // Same request through Express (chunked) and through the front door (routed once compiled).
    const viaExpress = await rawPost(JSON.stringify({ query }), headers, true);
    const routedBefore = await routed();
    const viaFrontDoor = await rawPost(JSON.stringify({ query }), { ...headers, "x-request-id": "front-door-1" }, false);
    expect(await routed()).toBe(routedBefore + 1);
    expect(viaFrontDoor.body).toBe(viaExpress.body);
    const corsOf = (h: http.IncomingHttpHeaders) => ({
      origin: h["access-control-allow-origin"],
      vary: h.vary,
      expose: h["access-control-expose-headers"],
      type: h["content-type"],
    });
    expect(corsOf(viaFrontDoor.headers)).toEqual(corsOf(viaExpress.headers));
    expect(viaFrontDoor.headers["access-control-allow-origin"]).toBe("https://app.example.test");
    expect(viaFrontDoor.headers["x-request-id"]).toBe("front-door-1");
    expect(gw.logLines.find((l) => l.requestId === "front-door-1")?.operationName).toBe("Cors");

    // Handed over after the front door read the body: the client's request id and CORS headers kept, answered by Apollo.
    const handed = await rawPost(
      JSON.stringify({ query: `query Missing { booking(id: 99999999) { id } }` }),
      { ...headers, "x-request-id": "front-door-2" },
      false,
    );
    expect(handed.status).toBe(200);
    expect(JSON.parse(handed.body).errors[0].extensions.code).toBe("NOT_FOUND");
    expect(handed.headers["x-request-id"]).toBe("front-door-2");
    expect(corsOf(handed.headers)).toEqual(corsOf(viaExpress.headers));
    expect(gw.logLines.filter((l) => l.requestId === "front-door-2")).toHaveLength(1);

    // Bodies the front door cannot use get Express's own answers.
    for (const body of ['{"query": ', "   ", '"text"', "\ufeff{}", '[{"query":"{ me { id } }"}]', "{}"]) {
      const express = await rawPost(body, headers, true);
      const front = await rawPost(body, headers, false);
      expect({ body, status: front.status, answer: front.body }).toEqual({ body, status: express.status, answer: express.body });
      expect(front.headers["x-request-id"]).toBeTruthy();
    }
    const malformed = await rawPost('{"query": ', headers, false);
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body).errors[0]).toEqual({ message: "Malformed request body.", extensions: { code: "BAD_REQUEST" } });
  });
});
