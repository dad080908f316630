import { createHash, randomBytes } from "node:crypto";
import { loadConfig } from "../src/config";
import { BookingStatus, UserPermissionRole } from "../src/entities";
import { createBooking, createEventType, createViewer } from "./support/factories";
import { createTestDatabase, dropTestDatabase, startTestGateway, type GqlResponse, type TestGateway } from "./support/harness";
import type { AnyJson } from "./support/json";
import { snapshotTables } from "./support/snapshot";

/**
 * Abuse resistance (contract, "Robustness: … Abuse"), as a hostile client would try it: operation
 * names that name nothing, made-up keys to dodge the rate limit, persisted queries without a key,
 * oversized batches, unpaged lists over the cap, reschedules that stretch or pull a booking, and the
 * development server's address.
 */
describe("abuse resistance", () => {
  let name: string;
  let gw: TestGateway;
  const gateways: TestGateway[] = [];

  const start = async (env: Record<string, string>) => {
    const g = await startTestGateway({ databaseName: name, env });
    gateways.push(g);
    return g;
  };
  const post = async (g: TestGateway, body: unknown, key?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${g.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as AnyJson };
  };

  beforeAll(async () => {
    name = await createTestDatabase();
    gw = await start({ RATE_LIMIT_PER_MINUTE: "0" });
  });
  afterAll(async () => {
    for (const g of gateways) await g.close();
    await dropTestDatabase(name);
  });

  describe("an operationName that names no operation", () => {
    const aliases = Array.from({ length: 2000 }, (_, i) => `a${i}: __schema { types { name } }`).join(" ");
    for (const jit of ["true", "false"]) {
      it(`is refused with 400 OPERATION_RESOLUTION_FAILURE before anything runs (GRAPHQL_JIT=${jit})`, async () => {
        const g = jit === "true" ? gw : await start({ RATE_LIMIT_PER_MINUTE: "0", GRAPHQL_JIT: "false" });
        const { key } = await createViewer(g.dataSource);
        for (const credential of [undefined, key]) {
          for (let run = 0; run < 2; run += 1) {
            const began = Date.now();
            const res = await post(g, { query: `query Real { ${aliases} }`, operationName: "Nope" }, credential);
            expect(res.status).toBe(400);
            expect(res.body.errors).toHaveLength(1);
            expect(res.body.errors[0].extensions.code).toBe("OPERATION_RESOLUTION_FAILURE");
            expect(res.body.data).toBeUndefined();
            expect(res.headers.get("x-sql-statements")).toBe("0");
            expect(Date.now() - began).toBeLessThan(2_000);
          }
        }
        // Two operations and no name: which one?
        const two = await post(g, { query: `query A { me { id } } query B { me { id } }` }, key);
        expect(two.status).toBe(400);
        expect(two.body.errors[0].extensions.code).toBe("OPERATION_RESOLUTION_FAILURE");
      });
    }
  });

  describe("rate limits keyed by the authenticated identity", () => {
    it("made-up bearer strings share the client IP's budget and stop being looked up", async () => {
      const g = await start({ RATE_LIMIT_PER_MINUTE: "5" });
      // A user who authenticated before the flood (their key's lookup is cached) keeps their own budget.
      const { key } = await createViewer(g.dataSource);
      expect((await g.gql(`{ me { id } }`, {}, key)).status).toBe(200);
      const answers = [];
      for (let i = 0; i < 8; i += 1) answers.push(await g.gql(`{ me { id } }`, {}, "cal_" + randomBytes(16).toString("hex")));
      expect(answers.slice(0, 5).map((a) => a.status)).toEqual([401, 401, 401, 401, 401]);
      expect(answers.slice(5).map((a) => a.status)).toEqual([429, 429, 429]);
      expect(answers[7].body.errors?.[0].extensions?.code).toBe("RATE_LIMITED");
      expect(Number(answers[7].headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      // Once the IP's budget is spent, an unknown key costs no statement at all.
      expect(answers[7].headers.get("x-sql-statements")).toBe("0");
      // No key at all: the same IP budget.
      expect((await g.gql(`{ me { id } }`)).status).toBe(429);
      expect((await g.gql(`{ me { id } }`, {}, key)).status).toBe(200);
      // A key not seen before is not looked up from an IP whose budget is spent (until the window resets).
      const newcomer = await createViewer(g.dataSource);
      expect((await g.gql(`{ me { id } }`, {}, newcomer.key)).status).toBe(429);
    });

    it("a key sent without its cal_ prefix counts against the same user's budget", async () => {
      const g = await start({ RATE_LIMIT_PER_MINUTE: "4" });
      const { key } = await createViewer(g.dataSource);
      const statuses = [];
      for (let i = 0; i < 6; i += 1) statuses.push((await g.gql(`{ me { id } }`, {}, i % 2 ? key : key.slice(4))).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    });

    it("remembers a failed key lookup for a few seconds (no statement the second time)", async () => {
      const g = await start({ RATE_LIMIT_PER_MINUTE: "0" });
      const bogus = "cal_" + randomBytes(16).toString("hex");
      expect((await g.gql(`{ me { id } }`, {}, bogus)).headers.get("x-sql-statements")).toBe("1");
      const again = await g.gql(`{ me { id } }`, {}, bogus);
      expect(again.status).toBe(401);
      expect(again.headers.get("x-sql-statements")).toBe("0");
    });
  });

  describe("persisted queries", () => {
    const register = (g: TestGateway, query: string, key?: string) =>
      post(g, { query, extensions: { persistedQuery: { version: 1, sha256Hash: createHash("sha256").update(query).digest("hex") } } }, key);
    const lookup = (g: TestGateway, query: string, key?: string) =>
      post(g, { extensions: { persistedQuery: { version: 1, sha256Hash: createHash("sha256").update(query).digest("hex") } } }, key);

    it("are stored only for authenticated operations and only up to 100 KiB of text", async () => {
      const { key } = await createViewer(gw.dataSource);
      const small = `query Small { me { id } }`;
      expect((await register(gw, small)).status).toBe(401);
      expect((await lookup(gw, small, key)).body.errors?.[0].extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
      expect((await register(gw, small, key)).status).toBe(200);
      expect((await lookup(gw, small, key)).body.data?.me).toBeDefined();
      // Introspection needs no key, so it is never stored either.
      const introspection = `{ __typename }`;
      expect((await register(gw, introspection)).status).toBe(200);
      expect((await lookup(gw, introspection)).body.errors?.[0].extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
      // Over 100 KiB of query text (a long comment): answered, not stored.
      const big = `query Big { me { id } }\n#${"x".repeat(110_000)}`;
      expect((await register(gw, big, key)).status).toBe(200);
      expect((await lookup(gw, big, key)).body.errors?.[0].extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    });

    it("answer a wrong hash or version as BAD_REQUEST, never INTERNAL_SERVER_ERROR", async () => {
      const { key } = await createViewer(gw.dataSource);
      const wrongHash = await post(
        gw,
        { query: `{ me { id } }`, extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } },
        key,
      );
      expect(wrongHash.status).toBe(400);
      expect(wrongHash.body.errors[0].extensions.code).toBe("BAD_REQUEST");
      const wrongVersion = await post(
        gw,
        { query: `{ me { id } }`, extensions: { persistedQuery: { version: 9, sha256Hash: "0".repeat(64) } } },
        key,
      );
      expect(wrongVersion.status).toBe(400);
      expect(wrongVersion.body.errors[0].extensions.code).toBe("BAD_REQUEST");
    });
  });

  describe("batches", () => {
    it("hold at most MAX_BATCH_SIZE operations, each counted against the rate limit", async () => {
      const g = await start({ BATCHED_REQUESTS: "true", MAX_BATCH_SIZE: "5", RATE_LIMIT_PER_MINUTE: "7" });
      const { key } = await createViewer(g.dataSource);
      const op = { query: `{ me { id } }` };
      const tooMany = await post(
        g,
        Array.from({ length: 6 }, () => op),
        key,
      );
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.errors[0].extensions.code).toBe("BAD_REQUEST");
      const five = await post(
        g,
        Array.from({ length: 5 }, () => op),
        key,
      );
      expect(five.status).toBe(200);
      expect(five.body.map((a: GqlResponse["body"]) => Boolean(a.data?.me))).toEqual([true, true, true, true, true]);
      // 5 of 7 spent: of the next batch of 3, two run and one is refused.
      const next = await post(
        g,
        Array.from({ length: 3 }, () => op),
        key,
      );
      const codes = next.body.map((a: GqlResponse["body"]) => a.errors?.[0].extensions?.code ?? "OK").sort();
      expect(codes).toEqual(["OK", "OK", "RATE_LIMITED"]);
    });
  });

  describe("unpaged lists", () => {
    it("return at most MAX_UNPAGED_BOOKINGS; more matches are BAD_USER_INPUT on take", async () => {
      const g = await start({ MAX_UNPAGED_BOOKINGS: "20", RATE_LIMIT_PER_MINUTE: "0" });
      const admin = await createViewer(g.dataSource, { role: UserPermissionRole.ADMIN });
      const few = await createViewer(g.dataSource);
      for (let i = 0; i < 3; i += 1)
        await createBooking(g.dataSource, { userId: few.user.id, startTime: new Date(Date.UTC(2034, 0, 1 + i, 9)) });
      const fine = await g.gql(`{ bookings { take page nodes { id } } }`, {}, few.key);
      expect(fine.body.data!.bookings).toMatchObject({ take: null, page: null });
      expect(fine.body.data!.bookings.nodes).toHaveLength(3);
      for (let i = 0; i < 25; i += 1) await createBooking(g.dataSource, { startTime: new Date(Date.UTC(2034, 1, 1 + i, 9)) });
      const over = await g.gql(`{ bookings { nodes { id } } }`, {}, admin.key);
      expect(over.body.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "take" });
      expect((await g.gql(`{ bookings(take: 20) { nodes { id } } }`, {}, admin.key)).body.data!.bookings.nodes).toHaveLength(20);
    });
  });

  describe("moving bookings", () => {
    const at = (day: number, hour: number, minute = 0) => new Date(Date.UTC(2035, 0, day, hour, minute));

    it("a reschedule keeps an allowed duration and the notice; refusals write nothing", async () => {
      const organizer = await createViewer(gw.dataSource);
      const attendee = await createViewer(gw.dataSource);
      const et = await createEventType(gw.dataSource, {
        userId: organizer.user.id,
        length: 30,
        metadata: { multipleDuration: [30, 60] },
        minimumBookingNotice: 0,
      });
      const booking = await createBooking(gw.dataSource, {
        userId: organizer.user.id,
        eventTypeId: et.id,
        startTime: at(2, 9),
        endTime: at(2, 9, 30),
        attendees: [{ email: attendee.user.email }],
      });
      const before = await snapshotTables(gw.dataSource);
      const move = (start: string, end?: string) =>
        gw.gql(
          `mutation($s: DateTime!, $e: DateTime) { rescheduleBooking(id: ${booking.id}, start: $s, end: $e) { id startTime endTime recurringEventId } }`,
          { s: start, e: end },
          attendee.key,
        );
      // The attendee tries to block the organizer for millennia.
      expect((await move(at(3, 9).toISOString(), "9999-12-31T23:59:00Z")).body.errors?.[0].extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "end",
      });
      expect((await move(at(3, 9).toISOString(), at(3, 9, 45).toISOString())).body.errors?.[0].extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "end",
      });
      expect((await move("9999-12-31T23:59:00Z")).body.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "end" });
      expect(await snapshotTables(gw.dataSource)).toEqual(before);
      // An event-type length is fine.
      const ok = await move(at(3, 9).toISOString(), at(3, 10).toISOString());
      expect(ok.body.errors).toBeUndefined();
    });

    it("a reschedule respects the minimum notice", async () => {
      const organizer = await createViewer(gw.dataSource);
      const et = await createEventType(gw.dataSource, { userId: organizer.user.id, length: 30, minimumBookingNotice: 24 * 60 });
      const booking = await createBooking(gw.dataSource, {
        userId: organizer.user.id,
        eventTypeId: et.id,
        startTime: at(4, 9),
        endTime: at(4, 9, 30),
      });
      const soon = new Date(Date.now() + 60 * 60_000).toISOString();
      const res = await gw.gql(`mutation { rescheduleBooking(id: ${booking.id}, start: "${soon}") { id } }`, {}, organizer.key);
      expect(res.body.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "start" });
    });

    it("a reschedule carries recurringEventId, so cancelling the rest of the series still finds it", async () => {
      const organizer = await createViewer(gw.dataSource);
      const et = await createEventType(gw.dataSource, { userId: organizer.user.id, length: 30 });
      const series = "series-" + randomBytes(4).toString("hex");
      const first = await createBooking(gw.dataSource, {
        userId: organizer.user.id,
        eventTypeId: et.id,
        startTime: at(5, 9),
        endTime: at(5, 9, 30),
        recurringEventId: series,
      });
      const second = await createBooking(gw.dataSource, {
        userId: organizer.user.id,
        eventTypeId: et.id,
        startTime: at(12, 9),
        endTime: at(12, 9, 30),
        recurringEventId: series,
      });
      const moved = await gw.gql(
        `mutation { rescheduleBooking(id: ${second.id}, start: "${at(13, 9).toISOString()}") { id recurringEventId } }`,
        {},
        organizer.key,
      );
      expect(moved.body.data!.rescheduleBooking.recurringEventId).toBe(series);
      await gw.gql(`mutation { cancelBooking(id: ${first.id}, allRemainingBookings: true) { id } }`, {}, organizer.key);
      const [row] = await gw.dataSource.query(`SELECT status FROM "Booking" WHERE id = $1`, [moved.body.data!.rescheduleBooking.id]);
      expect(row.status).toBe(BookingStatus.CANCELLED);
    });

    it("an updateBooking move lasts from 1 minute to 24 hours", async () => {
      const organizer = await createViewer(gw.dataSource);
      const booking = await createBooking(gw.dataSource, { userId: organizer.user.id, startTime: at(20, 9), endTime: at(20, 9, 30) });
      const move = (start: Date, end: Date) =>
        gw.gql(
          `mutation { updateBooking(id: ${booking.id}, input: { start: "${start.toISOString()}", end: "${end.toISOString()}" }) { id endTime } }`,
          {},
          organizer.key,
        );
      expect((await move(at(21, 9), new Date(at(21, 9).getTime() + 24 * 3_600_000 + 60_000))).body.errors?.[0].extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "end",
      });
      expect((await move(at(21, 9), new Date(at(21, 9).getTime() + 30_000))).body.errors?.[0].extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "end",
      });
      expect((await move(at(21, 9), new Date(at(21, 9).getTime() + 24 * 3_600_000))).body.errors).toBeUndefined();
      expect((await move(at(23, 9), new Date(at(23, 9).getTime() + 60_000))).body.errors).toBeUndefined();
    });
  });

  it("listens on loopback outside production unless HOST says otherwise", () => {
    expect(loadConfig({}).host).toBe("127.0.0.1");
    expect(loadConfig({ NODE_ENV: "production" }).host).toBe("0.0.0.0");
    expect(loadConfig({ HOST: "0.0.0.0" }).host).toBe("0.0.0.0");
  });
});
