import { BookingStatus, UserPermissionRole } from "../src/entities";
import { createBooking, createEventType, createUser, createViewer } from "./support/factories";
import { onlyError, startTestGateway, type GqlResponse, type TestGateway } from "./support/harness";

/** `bookingsConnection`: keyset pages over exactly the rows and order of `bookings`, as the README states. */
describe("bookingsConnection", () => {
  let gw: TestGateway;
  let key: string;
  let adminKey: string;
  let organizerId: number;
  let typeA: number;
  const otherIds: number[] = [];
  /** The viewer's rows as inserted, to compute expected orders independently of the gateway. */
  const rows: Array<{
    id: number;
    start: number;
    end: number;
    created: number;
    updated: number | null;
    status: string;
    type: number;
    vip: boolean;
  }> = [];

  const CONNECTION = `query($first: Int, $after: String, $orderBy: BookingOrder, $filter: BookingFilter) {
    bookingsConnection(first: $first, after: $after, orderBy: $orderBy, filter: $filter) {
      totalCount
      edges { cursor node { id } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }`;

  interface Page {
    totalCount: number;
    edges: Array<{ cursor: string; node: { id: number } }>;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  }

  const page = async (vars: Record<string, unknown>, as = key): Promise<{ res: GqlResponse; page: Page }> => {
    const res = await gw.gql(CONNECTION, vars, as);
    expect(res.body.errors).toBeUndefined();
    return { res, page: res.body.data!.bookingsConnection };
  };

  /** Follows endCursor until hasNextPage is false, checking every page's pageInfo on the way. */
  const walk = async (vars: Record<string, unknown>, first: number, as = key) => {
    const seen: number[] = [];
    const pages: Page[] = [];
    let after: string | null = null;
    for (let n = 0; n < 100; n += 1) {
      const { page: p } = await page({ ...vars, first, after }, as);
      pages.push(p);
      expect(p.edges.length).toBeLessThanOrEqual(first);
      expect(p.pageInfo.hasPreviousPage).toBe(after !== null);
      expect(p.pageInfo.startCursor).toBe(p.edges[0]?.cursor ?? null);
      expect(p.pageInfo.endCursor).toBe(p.edges.at(-1)?.cursor ?? null);
      if (p.pageInfo.hasNextPage) expect(p.edges).toHaveLength(first);
      seen.push(...p.edges.map((e) => e.node.id));
      if (!p.pageInfo.hasNextPage) return { seen, pages };
      after = p.pageInfo.endCursor;
    }
    throw new Error("more than 100 pages: the cursor does not advance");
  };

  const unpaged = async (vars: Record<string, unknown>, as = key): Promise<number[]> => {
    const res = await gw.gql(
      `query($orderBy: BookingOrder, $filter: BookingFilter) { bookings(orderBy: $orderBy, filter: $filter) { nodes { id } } }`,
      vars,
      as,
    );
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.bookings.nodes.map((n: { id: number }) => n.id);
  };

  beforeAll(async () => {
    gw = await startTestGateway();
    const ds = gw.dataSource;
    const viewer = await createViewer(ds);
    key = viewer.key;
    organizerId = viewer.user.id;
    adminKey = (await createViewer(ds, { role: UserPermissionRole.ADMIN })).key;
    typeA = (await createEventType(ds, { userId: organizerId })).id;
    const typeB = (await createEventType(ds, { userId: organizerId })).id;
    const statuses = Object.values(BookingStatus);
    // 30 bookings, inserted out of start order (so id order is not start order). Start times come in
    // threes: two equal (ties broken by id) and one a single millisecond later, so a cursor that lost
    // milliseconds would repeat or skip rows. updatedAt: a quarter null, the rest tied in groups.
    for (let i = 0; i < 30; i += 1) {
      const slot = (i * 7) % 30;
      const start = Date.UTC(2031, 0, 1 + Math.floor(slot / 3), 9) + (slot % 3 === 2 ? 1 : 0);
      const end = start + (30 + (i % 2) * 30) * 60_000;
      const created = Date.UTC(2030, 0, 1, 0, i % 10, 0, 250);
      const updated = i % 4 === 0 ? null : Date.UTC(2030, 5, 1, i % 5, 0, 0, 999);
      const vip = i % 5 === 0;
      const b = await createBooking(ds, {
        userId: organizerId,
        eventTypeId: i % 2 ? typeA : typeB,
        startTime: new Date(start),
        endTime: new Date(end),
        createdAt: new Date(created),
        updatedAt: updated === null ? null : new Date(updated),
        status: statuses[i % statuses.length],
        attendees: [{ email: vip ? "Vip.Client@Example.com" : `client${i}@example.com` }],
      });
      rows.push({ id: b.id, start, end, created, updated, status: b.status, type: b.eventTypeId!, vip });
    }
    // Someone else's bookings, interleaved in every order: never in this viewer's pages.
    const other = await createUser(ds);
    for (let i = 0; i < 5; i += 1) {
      const start = Date.UTC(2031, 0, 1 + i, 9);
      const b = await createBooking(ds, {
        userId: other.id,
        startTime: new Date(start),
        createdAt: new Date(Date.UTC(2030, 0, 1, 0, i)),
        updatedAt: i % 2 ? null : new Date(Date.UTC(2030, 5, 1, i)),
      });
      otherIds.push(b.id);
    }
  });

  afterAll(() => gw.close());

  const ORDERS: Array<[string, string, (a: (typeof rows)[0], b: (typeof rows)[0]) => number]> = [
    ["START_TIME", "ASC", (a, b) => a.start - b.start || a.id - b.id],
    ["START_TIME", "DESC", (a, b) => b.start - a.start || b.id - a.id],
    ["END_TIME", "ASC", (a, b) => a.end - b.end || a.id - b.id],
    ["END_TIME", "DESC", (a, b) => b.end - a.end || b.id - a.id],
    ["CREATED_AT", "ASC", (a, b) => a.created - b.created || a.id - b.id],
    ["CREATED_AT", "DESC", (a, b) => b.created - a.created || b.id - a.id],
    ["UPDATED_AT", "ASC", (a, b) => nullsLast(a.updated, b.updated, 1) || a.id - b.id],
    ["UPDATED_AT", "DESC", (a, b) => nullsLast(a.updated, b.updated, -1) || b.id - a.id],
    ["ID", "ASC", (a, b) => a.id - b.id],
    ["ID", "DESC", (a, b) => b.id - a.id],
  ];

  it.each(ORDERS)(
    "walks %s %s in pages of 7: exactly the unpaged bookings list, no repeats or skips",
    async (field, direction, compare) => {
      const orderBy = { field, direction };
      const all = await unpaged({ orderBy });
      expect(all).toEqual([...rows].sort(compare).map((r) => r.id));
      const { seen, pages } = await walk({ orderBy }, 7);
      expect(seen).toEqual(all);
      expect(new Set(seen).size).toBe(30);
      expect(pages.map((p) => p.edges.length)).toEqual([7, 7, 7, 7, 2]);
      for (const p of pages) expect(p.totalCount).toBe(30);
    },
  );

  it("defaults to START_TIME ASC and first 10", async () => {
    const res = await gw.gql(`{ bookingsConnection { edges { node { id } } pageInfo { hasNextPage } } }`, {}, key);
    expect(res.body.errors).toBeUndefined();
    const byStart = [...rows].sort((a, b) => a.start - b.start || a.id - b.id).map((r) => r.id);
    expect(res.body.data!.bookingsConnection.edges.map((e: { node: { id: number } }) => e.node.id)).toEqual(byStart.slice(0, 10));
    expect(res.body.data!.bookingsConnection.pageInfo.hasNextPage).toBe(true);
    const orderByDefaults = await page({ orderBy: {}, first: null });
    expect(orderByDefaults.page.edges.map((e) => e.node.id)).toEqual(byStart.slice(0, 10));
  });

  it("reports pageInfo on the first, a middle and the last page", async () => {
    const all = await unpaged({});
    const first = await page({ first: 12 });
    expect(first.page.edges.map((e) => e.node.id)).toEqual(all.slice(0, 12));
    expect(first.page.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: first.page.edges[0].cursor,
      endCursor: first.page.edges[11].cursor,
    });
    const middle = await page({ first: 12, after: first.page.pageInfo.endCursor });
    expect(middle.page.edges.map((e) => e.node.id)).toEqual(all.slice(12, 24));
    expect(middle.page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const last = await page({ first: 12, after: middle.page.pageInfo.endCursor });
    expect(last.page.edges.map((e) => e.node.id)).toEqual(all.slice(24));
    expect(last.page.pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: last.page.edges[0].cursor,
      endCursor: last.page.edges[5].cursor,
    });
    // Any edge's cursor continues right after that edge.
    const fromEdge = await page({ first: 3, after: first.page.edges[4].cursor });
    expect(fromEdge.page.edges.map((e) => e.node.id)).toEqual(all.slice(5, 8));
    // After the very last row: an empty page with null cursors.
    const beyond = await page({ first: 12, after: last.page.pageInfo.endCursor });
    expect(beyond.page).toEqual({
      totalCount: 30,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null },
    });
  });

  it("says hasNextPage false on a last page that is exactly full", async () => {
    const { pages } = await walk({}, 10);
    expect(pages.map((p) => [p.edges.length, p.pageInfo.hasNextPage])).toEqual([
      [10, true],
      [10, true],
      [10, false],
    ]);
    const capped = await page({ first: 250 });
    expect(capped.page.edges).toHaveLength(30);
    expect(capped.page.pageInfo.hasNextPage).toBe(false);
  });

  it("runs as many SQL statements for the last page as for the first", async () => {
    const first = await page({ first: 7 });
    expect(first.res.headers.get("x-sql-statements")).toMatch(/^\d+$/);
    let after = first.page.pageInfo.endCursor;
    let last = first;
    while (last.page.pageInfo.hasNextPage) {
      last = await page({ first: 7, after });
      after = last.page.pageInfo.endCursor;
    }
    expect(last.page.pageInfo.hasPreviousPage).toBe(true);
    expect(Number(last.res.headers.get("x-sql-statements"))).toBe(Number(first.res.headers.get("x-sql-statements")));
  });

  it("counts only when totalCount is selected", async () => {
    const without = await gw.gql(`{ bookingsConnection(first: 5) { edges { node { id } } } }`, {}, key);
    const withCount = await gw.gql(`{ bookingsConnection(first: 5) { totalCount edges { node { id } } } }`, {}, key);
    expect(withCount.body.data!.bookingsConnection.totalCount).toBe(30);
    expect(Number(withCount.headers.get("x-sql-statements"))).toBe(Number(without.headers.get("x-sql-statements")) + 1);
  });

  it("rejects first out of range with BAD_USER_INPUT naming first", async () => {
    for (const first of [0, -1, 251, 10_000]) {
      const res = await gw.gql(CONNECTION, { first }, key);
      expect(res.status).toBe(200);
      expect(onlyError(res).extensions).toEqual({ code: "BAD_USER_INPUT", field: "first" });
    }
  });

  it("rejects cursors that do not decode or were made for another order with BAD_USER_INPUT naming after", async () => {
    const startAsc = (await page({ first: 2, orderBy: { field: "START_TIME", direction: "ASC" } })).page.pageInfo.endCursor!;
    const updatedDesc = (await page({ first: 2, orderBy: { field: "UPDATED_AT", direction: "DESC" } })).page.pageInfo.endCursor!;
    const forged = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString("base64url");
    const cases: Array<[string, Record<string, unknown>]> = [
      ["not a cursor!", {}],
      ["", {}],
      ["e30", {}], // "{}"
      [Buffer.from("no json here").toString("base64url"), {}],
      [forged({ f: "startTime", d: "ASC", v: "2031-01-01 09:00:00", i: rows[0].id }), {}],
      [forged({ f: "startTime", d: "ASC", v: null, i: rows[0].id }), {}],
      [forged({ f: "startTime", d: "ASC", v: "2031-01-01T09:00:00.000Z", i: "1" }), {}],
      [startAsc, { orderBy: { field: "START_TIME", direction: "DESC" } }],
      [startAsc, { orderBy: { field: "END_TIME", direction: "ASC" } }],
      [updatedDesc, {}],
      [updatedDesc, { orderBy: { field: "UPDATED_AT", direction: "ASC" } }],
    ];
    for (const [after, vars] of cases) {
      const res = await gw.gql(CONNECTION, { ...vars, after }, key);
      expect(res.status).toBe(200);
      expect({ after, extensions: onlyError(res).extensions }).toEqual({ after, extensions: { code: "BAD_USER_INPUT", field: "after" } });
    }
    // The same cursors work with the order they were made for.
    expect((await page({ after: startAsc })).page.edges.length).toBeGreaterThan(0);
    expect((await page({ after: updatedDesc, orderBy: { field: "UPDATED_AT", direction: "DESC" } })).page.edges.length).toBeGreaterThan(0);
  });

  it("applies filters, and totalCount equals the number of matches", async () => {
    const filters: Array<[Record<string, unknown>, (r: (typeof rows)[0]) => boolean]> = [
      [{ attendeeEmail: "VIP.client@example.COM" }, (r) => r.vip],
      [{ status: ["ACCEPTED", "PENDING"] }, (r) => ["accepted", "pending"].includes(r.status)],
      [
        { eventTypeIds: [typeA], dateFrom: new Date(Date.UTC(2031, 0, 4, 9)).toISOString() },
        (r) => r.type === typeA && r.start >= Date.UTC(2031, 0, 4, 9),
      ],
      [{ dateTo: new Date(Date.UTC(2031, 0, 6)).toISOString() }, (r) => r.end <= Date.UTC(2031, 0, 6)],
    ];
    for (const [filter, matches] of filters) {
      for (const orderBy of [
        { field: "UPDATED_AT", direction: "DESC" },
        { field: "START_TIME", direction: "ASC" },
      ]) {
        const expected = await unpaged({ filter, orderBy });
        expect([...expected].sort((a, b) => a - b)).toEqual(
          rows
            .filter(matches)
            .map((r) => r.id)
            .sort((a, b) => a - b),
        );
        const { seen, pages } = await walk({ filter, orderBy }, 7);
        expect(seen).toEqual(await unpaged({ filter, orderBy }));
        for (const p of pages) expect(p.totalCount).toBe(expected.length);
      }
    }
  });

  it("shows only what the viewer may read; userIds keeps its admin-only scope check", async () => {
    const { seen } = await walk({}, 7);
    expect(seen.filter((id) => otherIds.includes(id))).toEqual([]);

    const forbidden = await gw.gql(CONNECTION, { filter: { userIds: [organizerId] } }, key);
    expect(onlyError(forbidden).extensions?.code).toBe("FORBIDDEN");

    // A system admin sees everyone's bookings, and may narrow them to one organizer.
    const everyone = await walk({}, 7, adminKey);
    expect(new Set(everyone.seen)).toEqual(new Set([...rows.map((r) => r.id), ...otherIds]));
    expect(everyone.pages[0].totalCount).toBe(35);
    const one = await walk({ filter: { userIds: [organizerId] }, orderBy: { field: "CREATED_AT", direction: "DESC" } }, 7, adminKey);
    expect(one.seen).toEqual(await unpaged({ orderBy: { field: "CREATED_AT", direction: "DESC" } }));
    expect(one.pages[0].totalCount).toBe(30);
  });

  it("continues from the cursor's position, not an offset: rows added or removed before it shift nothing", async () => {
    const ds = gw.dataSource;
    const { user, key: ownKey } = await createViewer(ds);
    const mk = (day: number, hour: number) => createBooking(ds, { userId: user.id, startTime: new Date(Date.UTC(2032, 0, day, hour)) });
    const mine = [];
    for (let i = 0; i < 9; i += 1) mine.push((await mk(10 + i, 9)).id);

    const first = await page({ first: 3 }, ownKey);
    expect(first.page.edges.map((e) => e.node.id)).toEqual(mine.slice(0, 3));
    // Two rows appear before the cursor and one on the first page disappears (the cursor's own row).
    await mk(1, 9);
    await mk(2, 9);
    await ds.query(`DELETE FROM "Booking" WHERE id = $1`, [mine[2]]);
    const second = await page({ first: 3, after: first.page.pageInfo.endCursor }, ownKey);
    expect(second.page.edges.map((e) => e.node.id)).toEqual(mine.slice(3, 6));
    expect(second.page.totalCount).toBe(10);
  });
});

function nullsLast(a: number | null, b: number | null, sign: 1 | -1): number {
  if (a === null && b === null) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return sign * (a - b);
}
