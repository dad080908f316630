import { BookingStatus, Payment, UserPermissionRole } from "../src/entities";
import { createBooking, createEventType, createViewer } from "./support/factories";
import { createTestDatabase, dropTestDatabase, startTestGateway, type TestGateway } from "./support/harness";

/**
 * Operations run compiled by graphql-jit by default; GRAPHQL_JIT=false runs them with graphql-js.
 * Both gateways, on one database, must give byte-for-byte the same answers (status, data, errors with
 * codes, paths and locations) for reads, errors of every kind and mutations.
 */
describe("compiled execution (graphql-jit) answers exactly like graphql-js", () => {
  let databaseName: string;
  let jit: TestGateway;
  let js: TestGateway;
  let organizer: { key: string; id: number };
  let outsider: string;
  let admin: string;
  let bookingIds: number[];

  beforeAll(async () => {
    databaseName = await createTestDatabase();
    jit = await startTestGateway({ databaseName });
    js = await startTestGateway({ databaseName, env: { GRAPHQL_JIT: "false", READ_PATH: "false" } });
    const ds = jit.dataSource;
    const viewer = await createViewer(ds, { name: "Olga Organizer" });
    organizer = { key: viewer.key, id: viewer.user.id };
    outsider = (await createViewer(ds)).key;
    admin = (await createViewer(ds, { role: UserPermissionRole.ADMIN })).key;
    const eventType = await createEventType(ds, { userId: viewer.user.id, title: "Intro call", length: 30 });
    bookingIds = [];
    for (let i = 0; i < 12; i += 1) {
      const booking = await createBooking(ds, {
        userId: viewer.user.id,
        eventTypeId: i % 3 === 0 ? null : eventType.id,
        startTime: new Date(Date.UTC(2031, 0, 1 + (i % 5), 9, 0, 0)),
        status: i % 4 === 0 ? BookingStatus.PENDING : BookingStatus.ACCEPTED,
        metadata: { n: i },
        attendees: [{ email: `guest${i}@example.test`, name: `Guest ${i}` }, { email: "shared@example.test" }],
      });
      bookingIds.push(booking.id);
      if (i % 2 === 0) {
        await ds.getRepository(Payment).insert({
          uid: `pay-${booking.id}`,
          appId: "stripe",
          bookingId: booking.id,
          amount: 1000 + i,
          fee: 30,
          currency: "eur",
          success: i % 4 === 0,
          refunded: false,
          data: {},
          externalId: `pi-${booking.id}`,
        });
      }
    }
  });

  afterAll(async () => {
    await jit?.close();
    await js?.close();
    await dropTestDatabase(databaseName);
  });

  /**
   * Sends the same request to both gateways and expects identical answers; returns the jit one. The
   * jit gateway compiles a document the second time it runs it (jit.ts), so it gets the request
   * twice (every request here is a read or changes nothing) and the compiled answer is compared too.
   */
  async function same(query: string, variables: Record<string, unknown> = {}, key: string | undefined = organizer.key) {
    const interpreted = await jit.gql(query, variables, key);
    const a = await jit.gql(query, variables, key);
    const b = await js.gql(query, variables, key);
    for (const answer of [interpreted, a]) {
      expect({ status: answer.status, body: answer.body }).toEqual({ status: b.status, body: b.body });
      expect(JSON.stringify(answer.body)).toBe(JSON.stringify(b.body));
    }
    return a;
  }

  it("reads lists with fragments, aliases, variables, skip/include and every relation", async () => {
    const res = await same(
      `query Page($take: Int, $status: [BookingStatus!], $withPay: Boolean!, $order: BookingOrder) {
        first: bookings(take: $take, filter: { status: $status }, orderBy: $order) {
          totalCount take page
          nodes { ...Core attendees { name email } payment @include(if: $withPay) { amount currency success } }
        }
        second: bookings(take: 3, page: 2) { nodes { id uid metadata eventType { ... on EventType { title owner { name } } } } }
      }
      fragment Core on Booking { id title status startTime endTime createdAt user { id name } eventType { id title length } }`,
      { take: 5, status: ["ACCEPTED", "PENDING"], withPay: true, order: { field: "START_TIME", direction: "DESC" } },
    );
    expect(res.body.data!.first.nodes).toHaveLength(5);
    expect(res.body.data!.first.nodes[0].payment).toBeDefined();
  });

  it("reads connections page by page and single bookings", async () => {
    const first = await same(
      `{ bookingsConnection(first: 4) { totalCount edges { cursor node { id title } } pageInfo { hasNextPage endCursor } } }`,
    );
    const after = first.body.data!.bookingsConnection.pageInfo.endCursor;
    await same(
      `query($after: String) { bookingsConnection(first: 4, after: $after) { edges { node { id attendees { email } } } pageInfo { hasNextPage hasPreviousPage } } }`,
      { after },
    );
    await same(
      `query($id: Int) { booking(id: $id) { id uid title responses metadata references { id } payment { amount fee } user { email } } }`,
      { id: bookingIds[4] },
    );
    await same(`{ me { id name email } __typename }`);
  });

  it("reports errors the same way: domain codes, paths, locations, partial data", async () => {
    await same(`query($id: Int) { booking(id: $id) { id } }`, { id: 999_999_999 });
    await same(`{ bookings(take: 0) { totalCount } }`);
    await same(`{ ok: bookings(take: 1) { nodes { id } } bad: bookings(take: 1000) { nodes { id } } }`);
    await same(`{ bookings(take: 2, filter: { userIds: [1] }) { nodes { id } } }`, {}, outsider);
    await same(`{ bookingsConnection(first: 2, after: "not-a-cursor") { edges { cursor } } }`);
    await same(`{ bookings(take: 1) { nodes { id } } }`, {}, undefined);
    await same(`{ bookings(take: 1) { nodes { id } } }`, {}, "cal_0000000000000000000000000000dead");
  });

  it("reports variable errors as BAD_USER_INPUT with HTTP 400, like graphql-js", async () => {
    const wrongType = await same(`query($take: Int) { bookings(take: $take) { totalCount } }`, { take: "five" });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors![0].extensions?.code).toBe("BAD_USER_INPUT");
    await same(`query($s: [BookingStatus!]) { bookings(filter: { status: $s }) { totalCount } }`, { s: ["NOPE"] });
    await same(`query($id: Int!) { booking(id: $id) { id } }`, {});
    await same(`query($from: DateTime) { bookings(filter: { dateFrom: $from }) { totalCount } }`, { from: "2031-01-01T00:00:00" });
  });

  it("runs mutations the same way, including their errors", async () => {
    const rename = `mutation($id: Int!, $title: String) { updateBooking(id: $id, input: { title: $title }) { title status attendees { email } } }`;
    const a = await jit.gql(rename, { id: bookingIds[1], title: "Renamed" }, organizer.key);
    const b = await js.gql(rename, { id: bookingIds[2], title: "Renamed" }, organizer.key);
    expect(a.status).toBe(200);
    expect(a.body.data!.updateBooking.title).toBe("Renamed");
    expect({ ...a.body.data!.updateBooking, attendees: a.body.data!.updateBooking.attendees.length }).toEqual({
      ...b.body.data!.updateBooking,
      attendees: b.body.data!.updateBooking.attendees.length,
    });
    await same(rename, { id: bookingIds[3], title: "x" }, outsider);
    await same(`mutation { cancelBooking(id: 999999999) { id } }`);
    await same(
      `mutation($id: Int!) { updateBooking(id: $id, input: { start: "2031-02-01T10:00:00Z", end: "2031-02-01T09:00:00Z" }) { id } }`,
      { id: bookingIds[5] },
    );
    await same(`{ bookings(take: 1) { nodes { id } } }`, {}, admin);
  });
});
