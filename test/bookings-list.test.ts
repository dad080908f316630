import { BookingStatus, UserPermissionRole } from "../src/entities";
import { createBooking, createEventType, createUser, createViewer } from "./support/factories";
import { onlyError, startTestGateway, type GqlResponse, type TestGateway } from "./support/harness";
import { expectPagesAsPlainSql, insertDeepBookings } from "./support/deep-pages";

/** List semantics of `bookings`: paging, order, totals and filters, as the contract states them. */
describe("bookings list", () => {
  let gw: TestGateway;
  let key: string;
  let adminKey: string;
  let organizerId: number;
  let typeA: number;
  let typeB: number;
  /** id → row as inserted, to compute expected orders independently of the gateway. */
  const rows: Array<{ id: number; start: number; end: number; created: number; updated: number | null; status: string; type: number }> = [];

  const ids = (res: GqlResponse) => res.body.data!.bookings.nodes.map((n: { id: number }) => n.id);

  beforeAll(async () => {
    gw = await startTestGateway();
    const ds = gw.dataSource;
    const viewer = await createViewer(ds);
    key = viewer.key;
    organizerId = viewer.user.id;
    adminKey = (await createViewer(ds, { role: UserPermissionRole.ADMIN })).key;
    typeA = (await createEventType(ds, { userId: organizerId })).id;
    typeB = (await createEventType(ds, { userId: organizerId })).id;
    const statuses = Object.values(BookingStatus);
    // 37 bookings; several share a start time (ties), some never updated (null updatedAt).
    for (let i = 0; i < 37; i += 1) {
      const start = Date.UTC(2031, 0, 1 + Math.floor(i / 3), 9 + (i % 3 === 2 ? 0 : i % 3));
      const updated = i % 4 === 0 ? null : Date.UTC(2030, 5, 1, i % 5);
      const b = await createBooking(ds, {
        userId: organizerId,
        eventTypeId: i % 2 ? typeA : typeB,
        startTime: new Date(start),
        endTime: new Date(start + (30 + (i % 2) * 30) * 60_000),
        createdAt: new Date(Date.UTC(2030, 0, 1, 0, 37 - i)),
        updatedAt: updated === null ? null : new Date(updated),
        status: statuses[i % statuses.length],
        attendees: [{ email: i % 5 === 0 ? `Vip.Client@Example.com` : `client${i}@example.com` }],
      });
      rows.push({
        id: b.id,
        start,
        end: start + (30 + (i % 2) * 30) * 60_000,
        created: b.createdAt.getTime(),
        updated,
        status: b.status,
        type: b.eventTypeId!,
      });
    }
    // Someone else's booking: never in this viewer's list.
    const other = await createUser(ds);
    await createBooking(ds, { userId: other.id, startTime: new Date(Date.UTC(2031, 0, 1, 9)) });
  });

  afterAll(() => gw.close());

  const byStart = () => [...rows].sort((a, b) => a.start - b.start || a.id - b.id).map((r) => r.id);

  it("returns every visible booking, START_TIME ASC with ties by id, when unpaged", async () => {
    const res = await gw.gql(`{ bookings { totalCount page take hasNextPage nodes { id } } }`, {}, key);
    expect(res.body.errors).toBeUndefined();
    expect(ids(res)).toEqual(byStart());
    expect(res.body.data!.bookings).toMatchObject({ totalCount: 37, page: null, take: null, hasNextPage: false });
  });

  it("pages with take 10 when only page is given, and page 1 when only take is given", async () => {
    const pageOnly = await gw.gql(`{ bookings(page: 2) { page take hasNextPage nodes { id } } }`, {}, key);
    expect(pageOnly.body.data!.bookings).toMatchObject({ page: 2, take: 10, hasNextPage: true });
    expect(ids(pageOnly)).toEqual(byStart().slice(10, 20));
    const takeOnly = await gw.gql(`{ bookings(take: 4) { page take hasNextPage nodes { id } } }`, {}, key);
    expect(takeOnly.body.data!.bookings).toMatchObject({ page: 1, take: 4, hasNextPage: true });
    expect(ids(takeOnly)).toEqual(byStart().slice(0, 4));
  });

  it("never repeats or skips a row across pages, and reports the last page correctly", async () => {
    for (const [field, direction] of [
      ["START_TIME", "ASC"],
      ["START_TIME", "DESC"],
      ["UPDATED_AT", "ASC"],
      ["UPDATED_AT", "DESC"],
      ["CREATED_AT", "DESC"],
      ["END_TIME", "ASC"],
      ["ID", "DESC"],
    ]) {
      const all = await gw.gql(`{ bookings(orderBy: { field: ${field}, direction: ${direction} }) { nodes { id } } }`, {}, key);
      const seen: number[] = [];
      for (let page = 1; ; page += 1) {
        const res = await gw.gql(
          `{ bookings(take: 8, page: ${page}, orderBy: { field: ${field}, direction: ${direction} }) { totalCount hasNextPage nodes { id } } }`,
          {},
          key,
        );
        seen.push(...ids(res));
        expect(res.body.data!.bookings.totalCount).toBe(37);
        if (!res.body.data!.bookings.hasNextPage) break;
      }
      expect(seen).toEqual(ids(all));
      expect(new Set(seen).size).toBe(37);
    }
  });

  it("orders by each field with ties broken by id in the same direction, null updatedAt last", async () => {
    const cases: Array<[string, string, (a: (typeof rows)[0], b: (typeof rows)[0]) => number]> = [
      ["START_TIME", "DESC", (a, b) => b.start - a.start || b.id - a.id],
      ["END_TIME", "ASC", (a, b) => a.end - b.end || a.id - b.id],
      ["CREATED_AT", "ASC", (a, b) => a.created - b.created || a.id - b.id],
      ["ID", "DESC", (a, b) => b.id - a.id],
      ["UPDATED_AT", "ASC", (a, b) => nullsLast(a.updated, b.updated, 1) || a.id - b.id],
      ["UPDATED_AT", "DESC", (a, b) => nullsLast(a.updated, b.updated, -1) || b.id - a.id],
    ];
    for (const [field, direction, compare] of cases) {
      const res = await gw.gql(`{ bookings(orderBy: { field: ${field}, direction: ${direction} }) { nodes { id } } }`, {}, key);
      expect({ field, direction, ids: ids(res) }).toEqual({ field, direction, ids: [...rows].sort(compare).map((r) => r.id) });
    }
    const defaults = await gw.gql(`{ bookings(orderBy: {}) { nodes { id } } }`, {}, key);
    expect(ids(defaults)).toEqual(byStart());
  });

  it("rejects take and page out of range with BAD_USER_INPUT naming the argument", async () => {
    for (const [args, field] of [
      ["take: 0", "take"],
      ["take: 251", "take"],
      ["take: -5", "take"],
      ["page: 0", "page"],
      ["take: 5, page: -1", "page"],
    ]) {
      const res = await gw.gql(`{ bookings(${args}) { totalCount } }`, {}, key);
      expect(res.status).toBe(200);
      expect(onlyError(res).extensions).toEqual({ code: "BAD_USER_INPUT", field });
    }
    const cap = await gw.gql(`{ bookings(take: 250) { take nodes { id } } }`, {}, key);
    expect(cap.body.data!.bookings.take).toBe(250);
    expect(ids(cap)).toHaveLength(37);
  });

  it("answers a page past the end with no rows and a true totalCount", async () => {
    const res = await gw.gql(`{ bookings(take: 10, page: 9) { totalCount hasNextPage nodes { id } } }`, {}, key);
    expect(res.body.data!.bookings).toEqual({ totalCount: 37, hasNextPage: false, nodes: [] });
  });

  it("filters by attendee e-mail case-insensitively", async () => {
    const res = await gw.gql(`{ bookings(filter: { attendeeEmail: "vip.client@EXAMPLE.com" }) { totalCount nodes { id } } }`, {}, key);
    const expected = rows.filter((_, i) => i % 5 === 0).map((r) => r.id);
    expect(ids(res).sort()).toEqual(expected.sort());
  });

  it("filters by status, event types and the date window, all combined with AND", async () => {
    const status = await gw.gql(`{ bookings(filter: { status: [PENDING, AWAITING_HOST] }) { nodes { id status } } }`, {}, key);
    const statuses = status.body.data!.bookings.nodes.map((n: { status: string }) => n.status);
    expect(new Set(statuses)).toEqual(new Set(["PENDING", "AWAITING_HOST"]));
    expect(statuses).toHaveLength(rows.filter((r) => ["pending", "awaiting_host"].includes(r.status)).length);

    const types = await gw.gql(`query($t: [Int!]) { bookings(filter: { eventTypeIds: $t }) { nodes { id } } }`, { t: [typeA] }, key);
    expect(ids(types).sort()).toEqual(
      rows
        .filter((r) => r.type === typeA)
        .map((r) => r.id)
        .sort(),
    );

    // Bounds are inclusive: startTime >= dateFrom and endTime <= dateTo.
    const from = rows[6].start;
    const to = rows[20].end;
    const window = await gw.gql(
      `query($from: DateTime, $to: DateTime) { bookings(filter: { dateFrom: $from, dateTo: $to }) { nodes { id } } }`,
      { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
      key,
    );
    expect(ids(window).sort()).toEqual(
      rows
        .filter((r) => r.start >= from && r.end <= to)
        .map((r) => r.id)
        .sort(),
    );

    const combined = await gw.gql(
      `query($t: [Int!], $from: DateTime) { bookings(filter: { eventTypeIds: $t, dateFrom: $from, status: [ACCEPTED] }) { nodes { id } } }`,
      { t: [typeB], from: new Date(from).toISOString() },
      key,
    );
    expect(ids(combined).sort()).toEqual(
      rows
        .filter((r) => r.type === typeB && r.start >= from && r.status === "accepted")
        .map((r) => r.id)
        .sort(),
    );
  });

  it("accepts offsets in DateTime input and rejects times without one", async () => {
    const offset = await gw.gql(`{ bookings(filter: { dateFrom: "2031-01-05T10:00:00+01:00" }) { totalCount } }`, {}, key);
    expect(offset.body.data!.bookings.totalCount).toBe(rows.filter((r) => r.start >= Date.UTC(2031, 0, 5, 9)).length);
    const naive = await gw.gql(`{ bookings(filter: { dateFrom: "2031-01-05T10:00:00" }) { totalCount } }`, {}, key);
    expect(onlyError(naive).extensions?.code).toMatch(/BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED/);
    const asVariable = await gw.gql(`query($d: DateTime) { bookings(filter: { dateFrom: $d }) { totalCount } }`, { d: "yesterday" }, key);
    expect(asVariable.status).toBe(400);
    expect(onlyError(asVariable).extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("lets a system admin filter by organizer", async () => {
    const res = await gw.gql(`query($u: [Int!]) { bookings(filter: { userIds: $u }) { totalCount } }`, { u: [organizerId] }, adminKey);
    expect(res.body.data!.bookings.totalCount).toBe(37);
  });

  it("runs no count query when totalCount is not selected", async () => {
    const without = await gw.gql(`{ bookings(take: 5) { nodes { id } } }`, {}, key);
    const withCount = await gw.gql(`{ bookings(take: 5) { totalCount nodes { id } } }`, {}, key);
    expect(Number(withCount.headers.get("x-sql-statements"))).toBe(Number(without.headers.get("x-sql-statements")) + 1);
  });
});

function nullsLast(a: number | null, b: number | null, sign: 1 | -1): number {
  if (a === null && b === null) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return sign * (a - b);
}

describe("deep offset pages on the gateway's own database", () => {
  it("page a regular user's bookings by start time (the gateway's (startTime, id) index, ids read from the end past 0.9 of the table) and by createdAt (no index: ids sorted) as plain SQL pages them", async () => {
    const gw = await startTestGateway();
    try {
      const { user, key } = await createViewer(gw.dataSource);
      const other = await createViewer(gw.dataSource);
      await insertDeepBookings(gw, user.id, other.user.id);
      // Offsets below 1,000, below 0.9 × the table's ~2,610 rows (forwards: 2,300), above it (counted,
      // then backwards: 2,350), the last partial page and past the end; with the status filter the
      // list has ~1,800 rows, so the counted pages are past its end.
      await expectPagesAsPlainSql(gw, key, user.id, ["START_TIME", "CREATED_AT"], [2, 21, 31, 40, 47, 48, 49, 60]);
    } finally {
      await gw.close();
    }
  }, 90_000);
});
