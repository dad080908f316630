import type { DataSource } from "typeorm";
import { Attendee, BookingStatus } from "../src/entities";
import { createBooking, createEventType, createViewer } from "./support/factories";
import { createTestDatabase, dropTestDatabase, onlyError, startTestGateway, type GqlResponse, type TestGateway } from "./support/harness";
import { snapshotTables } from "./support/snapshot";

/**
 * Abuse rules on input (README "Robustness", contract "Abuse"): text with NUL or unpaired surrogates,
 * DateTime values outside 0001…9999, cursors with values out of range, and messages that would echo
 * huge input. Every refusal is BAD_USER_INPUT naming the field and writes nothing, on both executors
 * (graphql-jit compiles a document the second time it runs, so each request goes to it twice).
 */
const NUL = "\u0000";
const LONE_HIGH = "\uD83D";
const LONE_LOW = "\uDE00";

const CREATE = `mutation($input: CreateBookingInput!) { createBooking(input: $input) { id attendees { email timeZone locale } } }`;
const CONNECTION = `query($after: String, $orderBy: BookingOrder) { bookingsConnection(first: 2, after: $after, orderBy: $orderBy) { edges { node { id } } } }`;

describe("input hygiene over HTTP", () => {
  let databaseName: string;
  let jit: TestGateway;
  let js: TestGateway;
  let ds: DataSource;
  let booker: { key: string; email: string };
  let owner: { key: string; id: number };
  let eventTypeId: number;
  let pendingId: number;
  let slot = 0;
  /** A future instant on a 2-hour grid, so creates never collide. */
  const nextStart = () => new Date(Date.UTC(2032, 0, 1, 8) + (slot += 1) * 2 * 3_600_000).toISOString();

  beforeAll(async () => {
    databaseName = await createTestDatabase();
    jit = await startTestGateway({ databaseName });
    js = await startTestGateway({ databaseName, env: { GRAPHQL_JIT: "false" } });
    ds = jit.dataSource;
    const b = await createViewer(ds, { email: "bea.booker@example.test", name: "Bea Booker" });
    booker = { key: b.key, email: b.user.email };
    const o = await createViewer(ds, { name: "Olga Owner" });
    owner = { key: o.key, id: o.user.id };
    eventTypeId = (await createEventType(ds, { userId: o.user.id, length: 30 })).id;
    for (let i = 0; i < 5; i += 1) {
      const booking = await createBooking(ds, {
        userId: o.user.id,
        eventTypeId,
        startTime: new Date(Date.UTC(2033, 0, 1 + i, 9)),
        status: i === 0 ? BookingStatus.PENDING : BookingStatus.ACCEPTED,
      });
      if (i === 0) pendingId = booking.id;
    }
  });

  afterAll(async () => {
    await jit?.close();
    await js?.close();
    await dropTestDatabase(databaseName);
  });

  const input = (extra: Record<string, unknown> = {}, responses: Record<string, unknown> = {}) => ({
    eventTypeId,
    start: nextStart(),
    timeZone: "Europe/Berlin",
    responses: { name: "Bea Booker", email: booker.email, ...responses },
    ...extra,
  });

  /**
   * Sends the request to graphql-jit twice (interpreted, then compiled) and to graphql-js, expecting
   * the same single error each time and no row changed; returns its HTTP status and extensions.
   */
  async function refused(query: string, variables: Record<string, unknown>, key: string) {
    const before = await snapshotTables(ds);
    const answers: GqlResponse[] = [];
    for (const gw of [jit, jit, js]) answers.push(await gw.gql(query, variables, key));
    const [first, ...rest] = answers.map((res) => ({ status: res.status, error: onlyError(res) }));
    for (const other of rest) expect(other).toEqual(first);
    expect(await snapshotTables(ds)).toEqual(before);
    return { status: first.status, message: first.error.message, extensions: first.error.extensions };
  }

  describe("text with NUL or an unpaired surrogate is BAD_USER_INPUT naming the field, and nothing is written", () => {
    it.each([
      ["responses.name", () => input({}, { name: `Bea${NUL}` })],
      ["responses.email", () => input({}, { email: `bea${LONE_LOW}@example.test` })],
      ["title", () => input({ title: `Call ${LONE_HIGH}` })],
      ["description", () => input({ description: `${NUL}` })],
      ["responses.guests", () => input({}, { guests: ["ann@example.test", `carl${NUL}@example.test`] })],
      ["responses.notes", () => input({}, { notes: `notes ${LONE_HIGH}x` })],
      ["responses.location.optionValue", () => input({}, { location: { value: "integrations:daily", optionValue: `x${NUL}` } })],
      ["metadata", () => input({ metadata: { source: `crm${NUL}` } })],
      ["metadata", () => input({ metadata: { [`key${LONE_LOW}`]: "v" } })],
      ["language", () => input({ language: `de${NUL}` })],
      ["timeZone", () => input({ timeZone: `Europe/Berlin${NUL}` })],
      ["idempotencyKey", () => input({ idempotencyKey: `k${NUL}` })],
    ])("createBooking: %s", async (field, make) => {
      const { status, message, extensions } = await refused(CREATE, { input: make() }, booker.key);
      expect(status).toBe(200);
      expect(extensions).toEqual({ code: "BAD_USER_INPUT", field });
      expect(message).not.toContain(NUL);
    });

    it("createBooking: an emoji (a paired surrogate) is fine", async () => {
      for (const gw of [jit, jit, js]) {
        const res = await gw.gql(CREATE, { input: input({ title: "Launch 🚀" }, { name: "Bea 😀" }) }, booker.key);
        expect(res.body.errors).toBeUndefined();
      }
    });

    it.each([
      ["cancelBooking", `mutation($id: Int!, $r: String) { cancelBooking(id: $id, cancellationReason: $r) { id } }`, "cancellationReason"],
      ["rejectBooking", `mutation($id: Int!, $r: String) { rejectBooking(id: $id, reason: $r) { id } }`, "reason"],
      [
        "rescheduleBooking",
        `mutation($id: Int!, $r: String) { rescheduleBooking(id: $id, start: "2034-01-01T09:00:00Z", reason: $r) { id } }`,
        "reason",
      ],
    ])("%s: the argument's name", async (_label, query, field) => {
      for (const r of [`why${NUL}`, `why${LONE_HIGH}`]) {
        const { extensions } = await refused(query, { id: pendingId, r }, owner.key);
        expect(extensions).toEqual({ code: "BAD_USER_INPUT", field });
      }
    });

    it("updateBooking: the path inside input", async () => {
      const { extensions } = await refused(
        `mutation($id: Int!, $t: String) { updateBooking(id: $id, input: { title: $t }) { id } }`,
        { id: pendingId, t: `t${NUL}` },
        owner.key,
      );
      expect(extensions).toEqual({ code: "BAD_USER_INPUT", field: "title" });
    });

    it("reads: uid, after and filter.attendeeEmail, in variables and in literals", async () => {
      const cases: Array<[string, Record<string, unknown>, string]> = [
        [`query($uid: String) { booking(uid: $uid) { id } }`, { uid: `u${NUL}` }, "uid"],
        [`{ booking(uid: "u\\u0000") { id } }`, {}, "uid"],
        [`query($after: String) { bookingsConnection(after: $after) { totalCount } }`, { after: `${LONE_HIGH}` }, "after"],
        [
          `query($e: String) { bookings(filter: { attendeeEmail: $e }) { totalCount } }`,
          { e: `x${NUL}@example.test` },
          "filter.attendeeEmail",
        ],
        [`{ bookings(take: 5, filter: { attendeeEmail: "x\\u0000@example.test" }) { totalCount } }`, {}, "filter.attendeeEmail"],
      ];
      for (const [query, variables, field] of cases) {
        const { status, extensions } = await refused(query, variables, owner.key);
        expect({ query, status, extensions }).toEqual({ query, status: 200, extensions: { code: "BAD_USER_INPUT", field } });
      }
    });
  });

  describe("DateTime values outside 0001-01-01T00:00:00.000Z … 9999-12-31T23:59:59.999Z", () => {
    it.each(["9999-12-31T23:00:00-05:00", "0000-12-31T23:59:59.999Z", "0001-01-01T00:30:00+01:00"])(
      "refuses %s as BAD_USER_INPUT, writing nothing",
      async (start) => {
        const { status, extensions } = await refused(CREATE, { input: input({ start }) }, booker.key);
        expect(status).toBe(400); // a variable that does not coerce
        expect(extensions?.code).toBe("BAD_USER_INPUT");
        const filter = await refused(`query($d: DateTime) { bookings(filter: { dateFrom: $d }) { totalCount } }`, { d: start }, owner.key);
        expect(filter.extensions?.code).toBe("BAD_USER_INPUT");
        // As a literal, part of the document: a validation failure, as any malformed DateTime literal is.
        const literal = await refused(`{ bookings(filter: { dateTo: "${start}" }) { totalCount } }`, {}, owner.key);
        expect(literal.status).toBe(400);
        expect(literal.message).toContain("9999-12-31T23:59:59.999Z");
      },
    );

    it("refuses a start whose computed end would pass 9999-12-31 (end), and takes the last instants", async () => {
      const { extensions } = await refused(CREATE, { input: input({ start: "9999-12-31T23:45:00Z" }) }, booker.key);
      expect(extensions).toEqual({ code: "BAD_USER_INPUT", field: "end" });
      const last = await jit.gql(CREATE, { input: input({ start: "9999-12-31T23:29:59.999Z" }) }, booker.key);
      expect(last.body.errors).toBeUndefined();
      const read = await jit.gql(`query($id: Int) { booking(id: $id) { endTime } }`, { id: last.body.data!.createBooking.id }, booker.key);
      expect(read.body.data!.booking.endTime).toBe("9999-12-31T23:59:59.999Z");
    });
  });

  describe("cursors with values out of range", () => {
    const forged = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString("base64url");

    it("are BAD_USER_INPUT naming after (a forged id above 2^31−1 used to reach Postgres)", async () => {
      const cases: Array<[string, Record<string, unknown>]> = [
        [forged({ f: "startTime", d: "ASC", v: "2033-01-02T09:00:00.000Z", i: 2 ** 31 }), {}],
        [forged({ f: "startTime", d: "ASC", v: "2033-01-02T09:00:00.000Z", i: 2 ** 53 + 2 }), {}],
        [forged({ f: "startTime", d: "ASC", v: "2033-01-02T09:00:00.000Z", i: 0 }), {}],
        [forged({ f: "startTime", d: "ASC", v: "2033-01-02T09:00:00.000Z", i: 1.5 }), {}],
        [forged({ f: "startTime", d: "ASC", v: "0000-01-01T00:00:00.000Z", i: 1 }), {}],
        [forged({ f: "id", d: "ASC", v: 2 ** 31, i: 2 ** 31 }), { orderBy: { field: "ID", direction: "ASC" } }],
      ];
      for (const [after, vars] of cases) {
        const { extensions } = await refused(CONNECTION, { ...vars, after }, owner.key);
        expect({ after, extensions }).toEqual({ after, extensions: { code: "BAD_USER_INPUT", field: "after" } });
      }
    });

    it("at the edges of the range still page", async () => {
      const top = forged({ f: "id", d: "DESC", v: 2 ** 31 - 1, i: 2 ** 31 - 1 });
      const res = await jit.gql(CONNECTION, { after: top, orderBy: { field: "ID", direction: "DESC" } }, owner.key);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.bookingsConnection.edges).toHaveLength(2);
    });
  });

  describe("messages quote at most 100 characters of client input", () => {
    const huge = "x".repeat(900_000);

    it("a 900 KB uid is NOT_FOUND with a short message", async () => {
      for (const gw of [jit, jit, js]) {
        const res = await gw.gql(`query($uid: String) { booking(uid: $uid) { id } }`, { uid: huge }, owner.key);
        const error = onlyError(res);
        expect(error.extensions).toEqual({ code: "NOT_FOUND" });
        expect(error.message).toContain("x".repeat(100));
        expect(error.message).not.toContain("x".repeat(101));
        expect(error.message.length).toBeLessThan(200);
      }
    });

    it.each([
      ["timeZone", () => input({ timeZone: `Europe/${huge}` })],
      ["language", () => input({ language: huge })],
      ["responses.email", () => input({}, { email: huge })],
      ["responses.location", () => input({}, { location: { value: huge } })],
    ])("createBooking refusing a huge %s", async (field, make) => {
      const { extensions, message } = await refused(CREATE, { input: make() }, booker.key);
      expect(extensions).toEqual({ code: "BAD_USER_INPUT", field });
      expect(message.length).toBeLessThan(250);
    });

    it("a huge DateTime: the scalar's own words quote 100 characters", async () => {
      // A literal is part of the document: Apollo reports its refusal as a validation failure.
      const literal = await refused(`{ bookings(filter: { dateFrom: "${huge}" }) { totalCount } }`, {}, owner.key);
      expect(literal.extensions?.code).toBe("BAD_USER_INPUT");
      expect(literal.message).toContain(`(got "${"x".repeat(100)}"… (900000 characters))`);
      expect(literal.message.length).toBeLessThan(250);
      // In a variable, graphql-js prefixes its own "Variable "$input" got invalid value <the whole value>".
      const variable = await refused(CREATE, { input: input({ start: huge }) }, booker.key);
      expect(variable.extensions?.code).toBe("BAD_USER_INPUT");
      expect(variable.message.endsWith(`(got "${"x".repeat(100)}"… (900000 characters)).`)).toBe(true);
    });
  });

  describe("attendee rows", () => {
    it("hold each guest once (ignoring case, first spelling kept), never the booker again, and the canonical zone", async () => {
      const guests = [
        ...Array.from({ length: 10 }, () => booker.email.toUpperCase()),
        "Ann@Example.test",
        "ann@example.test",
        "ANN@EXAMPLE.TEST",
        "carl@example.test",
        booker.email,
      ];
      const res = await jit.gql(CREATE, { input: input({ timeZone: "europe/berlin", language: "pt-BR" }, { guests }) }, booker.key);
      expect(res.body.errors).toBeUndefined();
      const id = res.body.data!.createBooking.id as number;
      const rows = await ds.getRepository(Attendee).find({ where: { bookingId: id }, order: { id: "ASC" } });
      expect(rows.map(({ email, name, timeZone, locale }) => ({ email, name, timeZone, locale }))).toEqual([
        { email: booker.email, name: "Bea Booker", timeZone: "Europe/Berlin", locale: "pt-BR" },
        { email: "Ann@Example.test", name: "Ann@Example.test", timeZone: "Europe/Berlin", locale: "pt-BR" },
        { email: "carl@example.test", name: "carl@example.test", timeZone: "Europe/Berlin", locale: "pt-BR" },
      ]);
      const [booking] = await ds.query(`SELECT responses FROM "Booking" WHERE id = $1`, [id]);
      expect(booking.responses.guests).toEqual(["Ann@Example.test", "carl@example.test"]);
    });

    it("refuse a language longer than 35 characters, writing nothing", async () => {
      const { extensions } = await refused(
        CREATE,
        { input: input({ language: "zh-Hant-TW-u-ca-chinese-nu-hanidec-co-stroke" }) },
        booker.key,
      );
      expect(extensions).toEqual({ code: "BAD_USER_INPUT", field: "language" });
    });
  });
});
