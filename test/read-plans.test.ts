import { fetchRows } from "../src/db/rows";
import { Booking } from "../src/entities";
import { createBooking, createEventType, createUser, createViewer } from "./support/factories";
import { onlyError, startTestGateway, type TestGateway } from "./support/harness";

/**
 * fetchRows builds the SQL of a query shape once and reuses it: every call must still answer with
 * its own parameters, columns, conditions and paging, and shapes it cannot key must still work.
 */
describe("fetchRows read plans", () => {
  let gw: TestGateway;
  let a: { userId: number; eventTypeId: number; ids: number[] };
  let b: { userId: number; eventTypeId: number; ids: number[] };

  const seedOrganizer = async (hour: number) => {
    const user = await createUser(gw.dataSource);
    const eventType = await createEventType(gw.dataSource, { userId: user.id });
    const ids: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const booking = await createBooking(gw.dataSource, {
        userId: user.id,
        eventTypeId: eventType.id,
        startTime: new Date(Date.UTC(2031, 0, 1 + i, hour)),
      });
      ids.push(booking.id);
    }
    return { userId: user.id, eventTypeId: eventType.id, ids };
  };

  beforeAll(async () => {
    gw = await startTestGateway();
    a = await seedOrganizer(9);
    b = await seedOrganizer(10);
  });
  afterAll(() => gw.close());

  const bookings = () => gw.dataSource.getRepository(Booking).createQueryBuilder("b").orderBy("b.startTime", "ASC").addOrderBy("b.id", "ASC");
  const ids = (rows: Booking[]) => rows.map((r) => r.id);

  it("answers each call with its own parameter values", async () => {
    for (const who of [a, b, a, b]) {
      const rows = await fetchRows(bookings().where("b.userId = :u", { u: who.userId }), new Set(["id"]));
      expect(ids(rows)).toEqual(who.ids);
    }
  });

  it("keeps shapes that differ only in their condition apart", async () => {
    // Reusing the first statement for the second would compare the event type id with "userId".
    const byUser = await fetchRows(bookings().where("b.userId = :v", { v: a.userId }), new Set(["id"]));
    const byEventType = await fetchRows(bookings().where(`b."eventTypeId" = :v`, { v: b.eventTypeId }), new Set(["id"]));
    expect(ids(byUser)).toEqual(a.ids);
    expect(ids(byEventType)).toEqual(b.ids);
  });

  it("reads the columns each call asks for", async () => {
    const narrow = await fetchRows(bookings().where("b.userId = :u", { u: a.userId }), new Set(["id"]));
    const wide = await fetchRows(bookings().where("b.userId = :u", { u: a.userId }), new Set(["id", "title", "startTime"]));
    expect(narrow[0].title).toBeUndefined();
    expect(typeof wide[0].title).toBe("string");
    expect(wide[0].startTime).toEqual(new Date(Date.UTC(2031, 0, 1, 9)));
  });

  it("pages with each call's limit and offset, and orders by each call's order", async () => {
    const page = (offset: number) =>
      fetchRows(bookings().where("b.userId = :u", { u: b.userId }).offset(offset).limit(2), new Set(["id"]));
    expect(ids(await page(0))).toEqual(b.ids.slice(0, 2));
    expect(ids(await page(2))).toEqual(b.ids.slice(2));
    const descending = await fetchRows(
      gw.dataSource.getRepository(Booking).createQueryBuilder("b").where("b.userId = :u", { u: b.userId }).orderBy("b.startTime", "DESC").addOrderBy("b.id", "DESC"),
      new Set(["id"]),
    );
    expect(ids(descending)).toEqual([...b.ids].reverse());
  });

  it("still answers a shape it does not key (a join)", async () => {
    for (const who of [a, b]) {
      const rows = await fetchRows(
        bookings().innerJoin("users", "u", `u.id = b."userId"`).where("u.id = :u", { u: who.userId }),
        new Set(["id"]),
      );
      expect(ids(rows)).toEqual(who.ids);
    }
  });
});

/**
 * Selections (and the SQL derived from them) are worked out once per parsed operation and field:
 * operations sharing a fragment, and one query text run with different variables, must still each
 * get what they select.
 */
describe("cached selections over GraphQL", () => {
  let gw: TestGateway;
  let key: string;
  let bookingId: number;

  beforeAll(async () => {
    gw = await startTestGateway();
    const viewer = await createViewer(gw.dataSource);
    key = viewer.key;
    const eventType = await createEventType(gw.dataSource, { userId: viewer.user.id, title: "Intro call" });
    const booking = await createBooking(gw.dataSource, {
      userId: viewer.user.id,
      eventTypeId: eventType.id,
      attendees: [{ email: "guest@x.test", name: "Guest" }],
    });
    bookingId = booking.id;
  });
  afterAll(() => gw.close());

  // The `bookings` field node of fragment List is the same AST node in both operations.
  const document = `
    fragment List on Query { bookings(take: 5) { nodes { id attendees { email } } } }
    query WithEventType { ...List bookings(take: 5) { nodes { eventType { title } } } }
    query WithUser { ...List bookings(take: 5) { nodes { user { email } } } }`;

  it("gives operations that share a fragment their own relations, read in their one statement", async () => {
    await gw.gql("{ me { id } }", {}, key); // the API key's lookup is cached from here on
    for (const operationName of ["WithEventType", "WithUser", "WithEventType", "WithUser"]) {
      const res = await fetch(`${gw.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: document, operationName }),
      });
      const body = (await res.json()) as { data: { bookings: { nodes: Array<Record<string, any>> } } };
      // A relation missing from the statement would still be answered, by its loader's own query.
      expect(res.headers.get("x-sql-statements")).toBe("1");
      const [node] = body.data.bookings.nodes;
      expect(node.id).toBe(bookingId);
      expect(node.attendees).toEqual([{ email: "guest@x.test" }]);
      if (operationName === "WithEventType") {
        expect(node.eventType).toEqual({ title: "Intro call" });
        expect(node.user).toBeUndefined();
      } else {
        expect(node.user.email).toMatch(/@/);
        expect(node.eventType).toBeUndefined();
      }
    }
  });

  it("answers one query text with each request's variables", async () => {
    const query = `query One($id: Int, $skipAttendees: Boolean!) { booking(id: $id) { id title attendees @skip(if: $skipAttendees) { name } } }`;
    const shown = await gw.gql(query, { id: bookingId, skipAttendees: false }, key);
    const skipped = await gw.gql(query, { id: bookingId, skipAttendees: true }, key);
    const missing = await gw.gql(query, { id: 987_654_321, skipAttendees: false }, key);
    expect(shown.body.data?.booking.attendees).toEqual([{ name: "Guest" }]);
    expect(skipped.body.data?.booking).toEqual({ id: bookingId, title: shown.body.data?.booking.title });
    expect(onlyError(missing).extensions?.code).toBe("NOT_FOUND");
  });
});
