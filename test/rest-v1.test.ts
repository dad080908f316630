import { spawnSync } from "node:child_process";
import type { DataSource } from "typeorm";
import { MembershipRole } from "../src/entities";
import { addMember, createApiKey, createBooking, createEventType, createTeam, createUser, createViewer } from "./support/factories";
import { startTestGateway, type TestGateway } from "./support/harness";
import type { AnyJson } from "./support/json";
import { snapshotTables } from "./support/snapshot";

/**
 * Cal.com API v1's bookings routes (shared/rest-v1.md) over real HTTP on real Postgres, as each
 * role: the error table, the public shape as an exact key set, list visibility equal to the GraphQL
 * list, paging, every route's writes through the same rules (a refused write changes nothing), the
 * OpenAPI document validated by a real validator and every route answering what it declares.
 */

/**
 * Validates an OpenAPI document with @apidevtools/swagger-parser in a plain Node process (its
 * dependencies are ES modules, which jest's module runtime cannot load): "valid" or the error.
 */
function validateOpenApi(document: unknown): string {
  const script = `require("@apidevtools/swagger-parser").validate(JSON.parse(require("fs").readFileSync(0, "utf8")))
    .then(() => console.log("valid"), (e) => console.log("invalid: " + e.message.split("\\n")[0]))`;
  const run = spawnSync(process.execPath, ["-e", script], { input: JSON.stringify(document), encoding: "utf8", cwd: __dirname });
  return (run.stdout || run.stderr).trim();
}

const PUBLIC_KEYS = [
  "attendees",
  "cancelledBy",
  "createdAt",
  "description",
  "endTime",
  "eventTypeId",
  "fromReschedule",
  "id",
  "metadata",
  "payment",
  "rescheduledBy",
  "responses",
  "startTime",
  "status",
  "title",
  "uid",
  "user",
  "userId",
].sort();

describe("REST v1", () => {
  let gw: TestGateway;
  let ds: DataSource;
  let doc: {
    paths: Record<
      string,
      Record<
        string,
        { responses: Record<string, { content?: { "application/json": { schema: { properties?: Record<string, unknown> } } } }> }
      >
    >;
  };
  let organizer: { id: number; key: string; email: string };
  let attendee: { key: string; email: string };
  let outsider: string;
  let sysadmin: string;
  let et: { id: number; slug: string };
  let own: { id: number };
  let attended: { id: number };

  const call = async (method: string, path: string, key?: string, body?: unknown, viaHeader = false) => {
    const url = new URL(`${gw.url}${path}`);
    if (key && !viaHeader) url.searchParams.set("apiKey", key);
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (key && viaHeader) headers.authorization = `Bearer ${key}`;
    const res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, AnyJson>) : {} };
  };

  beforeAll(async () => {
    gw = await startTestGateway({ env: { RATE_LIMIT_PER_MINUTE: "100000" } });
    ds = gw.dataSource;
    const o = await createViewer(ds, { name: "Olivia Organizer" });
    organizer = { id: o.user.id, key: o.key, email: o.user.email };
    const a = await createViewer(ds);
    attendee = { key: a.key, email: a.user.email };
    outsider = (await createViewer(ds)).key;
    sysadmin = (await createViewer(ds, { role: "ADMIN" as never })).key;
    const team = await createTeam(ds);
    et = await createEventType(ds, { userId: organizer.id, length: 30, slug: "v1-intro" });
    await createEventType(ds, { teamId: team.id, userId: null, slug: "v1-team" });
    own = await createBooking(ds, {
      userId: organizer.id,
      eventTypeId: et.id,
      startTime: new Date("2035-01-02T10:00:00Z"),
      endTime: new Date("2035-01-02T10:30:00Z"),
    });
    // A booking of someone else that the attendee attends: v1 hid it from them (#13137), the gateway shows it.
    const other = await createUser(ds);
    attended = await createBooking(ds, {
      userId: other.id,
      startTime: new Date("2035-01-03T10:00:00Z"),
      endTime: new Date("2035-01-03T10:30:00Z"),
      attendees: [{ email: attendee.email.toUpperCase(), name: "Att", timeZone: "UTC" }],
    });
    const r = await call("GET", "/v1/openapi.json");
    doc = r.body as typeof doc;
  });
  afterAll(() => gw.close());

  /** The status and top-level keys a route's document declares, checked against an answer. */
  const declared = (path: string, method: string, res: { status: number; body: Record<string, unknown> }) => {
    const op = doc.paths[path][method.toLowerCase()];
    expect(Object.keys(op.responses)).toContain(String(res.status));
    const props = op.responses[String(res.status)].content?.["application/json"].schema.properties;
    if (props && res.status === 200) expect(Object.keys(res.body).every((k) => k in props)).toBe(true);
  };

  it("the OpenAPI 3.1 document is valid (a real validator), and the docs page works from local assets", async () => {
    expect(validateOpenApi(doc)).toBe("valid");
    const broken = JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
    delete broken.info;
    expect(validateOpenApi(broken)).toMatch(/^invalid/);
    expect(Object.keys(doc.paths).sort()).toEqual(["/v1/bookings", "/v1/bookings/{id}", "/v1/bookings/{id}/cancel"]);
    const page = await fetch(`${gw.url}/v1/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("/v1/docs/assets/swagger-ui-bundle.js");
    expect((await fetch(`${gw.url}/v1/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
    const production = await startTestGateway({ databaseName: gw.databaseName, env: { NODE_ENV: "production" } });
    try {
      expect((await fetch(`${production.url}/v1/openapi.json`)).status).toBe(404);
      expect((await fetch(`${production.url}/v1/docs`)).status).toBe(404);
    } finally {
      await production.close();
    }
  });

  it("answers v1's auth errors: no key, unknown, expired, locked; the key from the query or the header, never logged", async () => {
    const expired = await createApiKey(ds, await createUser(ds), new Date(Date.now() - 60_000));
    const locked = (await createViewer(ds, { locked: true })).key;
    const cases: Array<[string | undefined, number, Record<string, string>]> = [
      [undefined, 401, { message: "No apiKey provided" }],
      ["cal_ffffffffffffffffffffffffffffffff", 401, { error: "Your API key is not valid." }],
      [expired, 401, { error: "This API key is expired." }],
      [locked, 403, { error: "You are not authorized to perform this request." }],
    ];
    for (const [key, status, body] of cases) {
      const res = await call("GET", "/v1/bookings", key);
      expect({ status: res.status, body: res.body }).toEqual({ status, body });
      declared("/v1/bookings", "GET", res);
    }
    expect((await call("GET", "/v1/bookings", organizer.key, undefined, true)).status).toBe(200);
    const line = JSON.stringify(gw.logLines.filter((l) => l.msg === "rest request"));
    expect(line).toContain('"path":"/v1/bookings"');
    expect(line).not.toContain(organizer.key);
    expect(line).not.toContain("apiKey");
  });

  it("GET /v1/bookings: the public shape as an exact key set, the same visibility as the GraphQL list, v1's paging and filters", async () => {
    const res = await call("GET", "/v1/bookings", attendee.key);
    expect(res.status).toBe(200);
    declared("/v1/bookings", "GET", res);
    const gql = await gw.gql<{ bookings: { nodes: Array<{ id: number }> } }>(`{ bookings { nodes { id } } }`, {}, attendee.key);
    expect(res.body.bookings.map((b: { id: number }) => b.id)).toEqual(gql.body.data!.bookings.nodes.map((n) => n.id));
    expect(res.body.bookings.map((b: { id: number }) => b.id)).toContain(attended.id);
    for (const b of res.body.bookings) expect(Object.keys(b).sort()).toEqual(PUBLIC_KEYS);
    expect(res.body.bookings[0].status).toMatch(/^[a-z_]+$/);

    const mine = await call("GET", "/v1/bookings?expand=team", organizer.key);
    expect(Object.keys(mine.body.bookings[0]).sort()).toEqual([...PUBLIC_KEYS, "eventType"].sort());
    expect(mine.body.bookings.find((b: { id: number }) => b.id === own.id).eventType).toEqual({
      title: expect.any(String),
      slug: "v1-intro",
      team: null,
    });
    expect(mine.body.bookings.find((b: { id: number }) => b.id === own.id).user).toEqual({
      email: organizer.email,
      name: "Olivia Organizer",
      timeZone: expect.any(String),
      locale: "en",
    });

    // Paging only with both take and page; filters; the admins-only userId filter.
    const all = (await call("GET", "/v1/bookings", sysadmin)).body.bookings as Array<{ id: number }>;
    const page2 = await call("GET", "/v1/bookings?take=1&page=2", sysadmin);
    expect(page2.body.bookings.map((b: { id: number }) => b.id)).toEqual([all[1].id]);
    expect((await call("GET", "/v1/bookings?take=1", sysadmin)).body.bookings).toHaveLength(all.length);
    expect(
      (
        await call("GET", `/v1/bookings?attendeeEmail=${encodeURIComponent(attendee.email)}&attendeeEmail=nobody@example.org`, sysadmin)
      ).body.bookings.map((b: { id: number }) => b.id),
    ).toEqual([attended.id]);
    expect((await call("GET", `/v1/bookings?userId=${organizer.id}`, sysadmin)).body.bookings.map((b: { id: number }) => b.id)).toEqual([
      own.id,
    ]);
    const desc = (await call("GET", "/v1/bookings?sortBy=createdAt&order=desc", sysadmin)).body.bookings as Array<{ createdAt: string }>;
    expect(desc.map((b) => b.createdAt)).toEqual([...desc.map((b) => b.createdAt)].sort().reverse());
    expect((await call("GET", "/v1/bookings?dateFrom=2035-01-03T00:00:00Z", organizer.key)).body.bookings).toEqual([]);
    const forbidden = await call("GET", `/v1/bookings?userId=${organizer.id}`, outsider);
    expect({ status: forbidden.status, body: forbidden.body }).toEqual({ status: 403, body: { message: "Forbidden" } });
    for (const bad of [
      "take=0&page=1",
      "page=0&take=5",
      "status=past",
      "order=sideways",
      "nonsense=1",
      "dateFrom=yesterday",
      "userId=99999999999",
    ]) {
      const r = await call("GET", `/v1/bookings?${bad}`, sysadmin);
      expect({ bad, status: r.status, message: typeof r.body.message }).toEqual({ bad, status: 400, message: "string" });
    }
    expect((await call("GET", "/v1/bookings?status=past", sysadmin)).body.message).toMatch(/status/);
  });

  it("GET /v1/bookings/{id}: {booking} for who may read it, 404 alike for missing and not visible, 400 for a bad id", async () => {
    const ok = await call("GET", `/v1/bookings/${own.id}`, organizer.key);
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.body)).toEqual(["booking"]);
    expect(Object.keys(ok.body.booking).sort()).toEqual(PUBLIC_KEYS);
    declared("/v1/bookings/{id}", "GET", ok);
    const hidden = await call("GET", `/v1/bookings/${own.id}`, outsider);
    const missing = await call("GET", "/v1/bookings/999999999", outsider);
    expect([hidden.status, hidden.body, missing.status, missing.body]).toEqual([
      404,
      { message: "Booking not found" },
      404,
      { message: "Booking not found" },
    ]);
    declared("/v1/bookings/{id}", "GET", hidden);
    expect((await call("GET", "/v1/bookings/abc", organizer.key)).status).toBe(400);
    expect((await call("GET", "/v1/bookings/0", organizer.key)).status).toBe(400);
    expect((await call("GET", "/v1/bookings/99999999999", organizer.key)).status).toBe(400);
  });

  it("POST /v1/bookings: the createBooking rules, v1's body (legacy fields too), the booking unwrapped, v1's refusals", async () => {
    const booker = await createViewer(ds);
    const body = {
      eventTypeId: et.id,
      start: "2035-02-05T09:00:00Z",
      timeZone: "Europe/Berlin",
      language: "en",
      metadata: {},
      responses: { name: "Rex", email: "rex@example.org", location: "integrations:daily" },
    };
    const made = await call("POST", "/v1/bookings", booker.key, body);
    expect(made.status).toBe(200);
    declared("/v1/bookings", "POST", made);
    expect(Object.keys(made.body).sort()).toEqual([...PUBLIC_KEYS, "references"].sort());
    expect(made.body).toMatchObject({ eventTypeId: et.id, status: "accepted", startTime: "2035-02-05T09:00:00.000Z", references: [] });
    const legacy = await call("POST", "/v1/bookings", booker.key, {
      ...body,
      responses: undefined,
      start: "2035-02-05T11:00:00Z",
      name: "Old",
      email: "old@example.org",
      location: "integrations:daily",
    });
    expect(legacy.status).toBe(200);
    expect(legacy.body.responses).toMatchObject({ name: "Old", email: "old@example.org" });

    const before = await snapshotTables(ds);
    const refusals: Array<[unknown, number, Record<string, string> | RegExp]> = [
      [body, 400, { message: "no_available_users_found_error" }], // the same slot again
      [{ ...body, eventTypeId: 99999999, start: "2035-02-06T09:00:00Z" }, 400, { message: "Event type not found" }],
      [{ ...body, start: "2035-02-06T09:00:00Z", name: "Both" }, 400, /responses/],
      [{ ...body, start: "2035-02-06T09:00:00Z", metadata: undefined }, 400, /metadata/],
      [{ ...body, start: "not a date" }, 400, /start/],
      [{ ...body, start: "2035-02-06T09:00:00Z", userId: organizer.id }, 403, { message: "Forbidden" }],
      [{ ...body, start: "2035-02-06T09:00:00Z", extra: 1 }, 400, /extra/],
      [{ ...body, eventTypeId: 99_999_999_999 }, 400, /eventTypeId/], // beyond Postgres int: the client's error, not a 500
      [{ ...body, start: "2035-02-06T09:00:00Z", userId: 99_999_999_999 }, 400, /userId/],
      ["{not json", 400, /JSON/],
    ];
    for (const [input, status, expected] of refusals) {
      const r = await call("POST", "/v1/bookings", booker.key, input);
      expect(r.status).toBe(status);
      if (expected instanceof RegExp) expect(r.body.message).toMatch(expected);
      else expect(r.body).toEqual(expected);
      declared("/v1/bookings", "POST", r);
    }
    expect(await snapshotTables(ds)).toEqual(before); // refused writes changed nothing
    // A limit reached is v1's booking_limit_reached.
    const limitedType = await createEventType(ds, { userId: organizer.id, length: 30, bookingLimits: { PER_DAY: 1 } });
    const once = { ...body, eventTypeId: limitedType.id, start: "2035-02-07T09:00:00Z" };
    expect((await call("POST", "/v1/bookings", booker.key, once)).status).toBe(200);
    expect((await call("POST", "/v1/bookings", booker.key, { ...once, start: "2035-02-07T11:00:00Z" })).body).toEqual({
      message: "booking_limit_reached",
    });
    // A system admin may book as anyone.
    const asOrganizer = await call("POST", "/v1/bookings", sysadmin, { ...body, start: "2035-02-06T13:00:00Z", userId: organizer.id });
    expect(asOrganizer.status).toBe(200);
  });

  it("PATCH /v1/bookings/{id}: updateBooking's rules and checks (v1 had none), start / end aliases, unknown keys refused", async () => {
    const b = await createBooking(ds, {
      userId: organizer.id,
      eventTypeId: et.id,
      startTime: new Date("2035-03-01T10:00:00Z"),
      endTime: new Date("2035-03-01T10:30:00Z"),
    });
    const ok = await call("PATCH", `/v1/bookings/${b.id}`, organizer.key, {
      title: "Renamed",
      start: "2035-03-01T11:00:00Z",
      end: "2035-03-01T11:30:00Z",
    });
    expect(ok.status).toBe(200);
    declared("/v1/bookings/{id}", "PATCH", ok);
    expect(ok.body.booking).toMatchObject({ title: "Renamed", startTime: "2035-03-01T11:00:00.000Z", endTime: "2035-03-01T11:30:00.000Z" });
    await ds.query(`INSERT INTO "Attendee" (email, name, "timeZone", "bookingId") VALUES ($1, 'Att', 'UTC', $2)`, [attendee.email, b.id]);
    const before = await snapshotTables(ds);
    const refusals: Array<[string, unknown, number, unknown]> = [
      [outsider, { title: "x" }, 404, { message: "Booking not found" }],
      [attendee.key, { title: "x" }, 403, { message: "Forbidden" }], // an attendee may read it, not edit it
      [organizer.key, { color: "red" }, 400, { message: "Unrecognized key(s): color" }],
      [organizer.key, { status: "ACCEPTED", startTime: "2035-03-01T12:00:00Z", start: "2035-03-01T12:00:00Z" }, 400, undefined],
      [organizer.key, { endTime: "2035-03-01T10:00:00Z" }, 400, undefined], // end before start
      [organizer.key, { status: "rejected" }, 400, undefined], // ACCEPTED → REJECTED: an invalid transition
    ];
    for (const [key, input, status, expected] of refusals) {
      const r = await call("PATCH", `/v1/bookings/${b.id}`, key, input);
      expect({ input, status: r.status }).toEqual({ input, status });
      if (expected) expect(r.body).toEqual(expected);
      else expect(typeof r.body.message).toBe("string");
    }
    expect(await snapshotTables(ds)).toEqual(before);
  });

  it("DELETE /v1/bookings/{id}/cancel (and /v1/bookings/{id}): v1's answer, the viewer's e-mail as cancelledBy, refusals", async () => {
    const b = await createBooking(ds, {
      userId: organizer.id,
      eventTypeId: et.id,
      startTime: new Date("2035-04-01T10:00:00Z"),
      endTime: new Date("2035-04-01T10:30:00Z"),
    });
    const r = await call("DELETE", `/v1/bookings/${b.id}/cancel?cancellationReason=sick`, organizer.key);
    expect({ status: r.status, body: r.body }).toEqual({
      status: 200,
      body: { success: true, message: "Booking successfully cancelled.", bookingId: b.id, bookingUid: b.uid },
    });
    declared("/v1/bookings/{id}/cancel", "DELETE", r);
    const [row] = await ds.query(`SELECT status, "cancelledBy", "cancellationReason" FROM "Booking" WHERE id = $1`, [b.id]);
    expect(row).toEqual({ status: "cancelled", cancelledBy: organizer.email, cancellationReason: "sick" });
    const again = await call("DELETE", `/v1/bookings/${b.id}`, organizer.key);
    expect(again.status).toBe(400);
    expect(again.body.message).toMatch(/already cancelled/i);
    const c = await createBooking(ds, {
      userId: organizer.id,
      eventTypeId: et.id,
      startTime: new Date("2035-04-02T10:00:00Z"),
      endTime: new Date("2035-04-02T10:30:00Z"),
    });
    expect((await call("DELETE", `/v1/bookings/${c.id}/cancel`, outsider)).status).toBe(404);
    const plain = await call("DELETE", `/v1/bookings/${c.id}`, organizer.key);
    expect(plain.status).toBe(200);
    const [reason] = await ds.query(`SELECT "cancellationReason" FROM "Booking" WHERE id = $1`, [c.id]);
    expect(reason.cancellationReason).toBe("Not Provided");
  });

  it("an organization admin lists and books for members of their organization, and no one else", async () => {
    const org = await createTeam(ds, { isOrganization: true, adminApiEnabled: true });
    const admin = await createViewer(ds);
    await addMember(ds, org, admin.user, MembershipRole.ADMIN);
    const member = await createViewer(ds);
    await addMember(ds, org, member.user);
    const memberType = await createEventType(ds, { userId: member.user.id, length: 30, hidden: true });
    const theirs = await createBooking(ds, {
      userId: member.user.id,
      eventTypeId: memberType.id,
      startTime: new Date("2035-05-01T10:00:00Z"),
      endTime: new Date("2035-05-01T10:30:00Z"),
    });
    const listed = await call("GET", `/v1/bookings?userId=${member.user.id}`, admin.key);
    expect(listed.body.bookings.map((b: { id: number }) => b.id)).toEqual([theirs.id]);
    expect((await call("GET", `/v1/bookings?userId=${organizer.id}`, admin.key)).status).toBe(403);
    const body = {
      eventTypeId: memberType.id,
      start: "2035-05-02T10:00:00Z",
      timeZone: "UTC",
      metadata: {},
      responses: { name: "M", email: "m@example.org" },
    };
    expect((await call("POST", "/v1/bookings", admin.key, { ...body, userId: member.user.id })).status).toBe(200);
    expect((await call("POST", "/v1/bookings", admin.key, { ...body, start: "2035-05-03T10:00:00Z", userId: organizer.id })).body).toEqual({
      message: "Forbidden",
    });
  });

  it("answers 503 Service unavailable while the database is away", async () => {
    const away = await startTestGateway({ databaseName: gw.databaseName });
    try {
      await away.dataSource.destroy();
      const r = await fetch(`${away.url}/v1/bookings?apiKey=${organizer.key}`);
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({ message: "Service unavailable" });
    } finally {
      await away.close().catch(() => undefined);
    }
  });

  it("other methods: 405 with the route's own Allow list", async () => {
    for (const [method, path, allow] of [
      ["PUT", "/v1/bookings", "GET,POST"],
      ["POST", `/v1/bookings/${own.id}`, "GET,PATCH,DELETE"],
      ["GET", `/v1/bookings/${own.id}/cancel`, "DELETE"],
    ]) {
      const r = await call(method, path, organizer.key);
      expect({ status: r.status, allow: r.headers.get("allow"), body: r.body }).toEqual({
        status: 405,
        allow,
        body: { message: `Method Not Allowed (Allow: ${allow})` },
      });
    }
  });

  it("shares the GraphQL rate limit, with v1's X-RateLimit headers and 429 body", async () => {
    const limited = await startTestGateway({ databaseName: gw.databaseName, env: { RATE_LIMIT_PER_MINUTE: "2" } });
    try {
      const key = (await createViewer(limited.dataSource)).key;
      const ask = () => fetch(`${limited.url}/v1/bookings?apiKey=${key}`);
      const first = await ask();
      expect(first.headers.get("x-ratelimit-limit")).toBe("2");
      expect(first.headers.get("x-ratelimit-remaining")).toBe("1");
      expect(Number(first.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now());
      expect(first.headers.get("ratelimit-limit")).toBe("2");
      // The same budget as GraphQL.
      expect((await limited.gql(`{ me { id } }`, {}, key)).status).toBe(200);
      const refused = await ask();
      expect(refused.status).toBe(429);
      expect(await refused.json()).toEqual({ message: "Rate limit exceeded" });
      expect(refused.headers.get("retry-after")).toBeTruthy();
    } finally {
      await limited.close();
    }
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_rest_requests_total\{route="\/v1\/bookings",method="GET",status="200"\} [1-9]/);
  });
});
