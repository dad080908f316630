import { createBooking, createViewer } from "./support/factories";
import { startTestGateway, type TestGateway } from "./support/harness";

/**
 * Cal.com's `timestamp without time zone` columns hold UTC. jest.config.js puts the process in
 * New York; nothing may shift: not writes, not reads, not filters, not CURRENT_TIMESTAMP defaults.
 */
describe("times are UTC whatever the process time zone", () => {
  let gw: TestGateway;
  let key: string;
  let userId: number;

  beforeAll(async () => {
    gw = await startTestGateway();
    const viewer = await createViewer(gw.dataSource);
    key = viewer.key;
    userId = viewer.user.id;
  });
  afterAll(() => gw.close());

  it("runs in a zone with an offset", () => {
    expect(new Date(Date.UTC(2031, 6, 20, 10)).getTimezoneOffset()).toBe(240);
  });

  it("stores a written instant as its UTC wall time", async () => {
    const b = await createBooking(gw.dataSource, { userId, startTime: new Date("2031-07-20T10:00:00.000Z") });
    const [row] = await gw.dataSource.query(`SELECT "startTime"::text AS start, "endTime"::text AS "end" FROM "Booking" WHERE id = $1`, [
      b.id,
    ]);
    expect(row).toEqual({ start: "2031-07-20 10:00:00", end: "2031-07-20 10:30:00" });
  });

  it("reads a stored UTC wall time back as the same instant, emitted in UTC", async () => {
    const [{ id }] = await gw.dataSource.query(
      `INSERT INTO "Booking" (uid, title, "startTime", "endTime", "userId", status)
       VALUES ('tz-raw', 'raw', '2031-12-01 23:30:00', '2031-12-02 00:15:00', $1, 'accepted') RETURNING id`,
      [userId],
    );
    const res = await gw.gql(`query($id: Int) { booking(id: $id) { startTime endTime createdAt } }`, { id }, key);
    expect(res.body.data!.booking).toMatchObject({ startTime: "2031-12-01T23:30:00.000Z", endTime: "2031-12-02T00:15:00.000Z" });
    // CURRENT_TIMESTAMP default of createdAt: the session runs in UTC, so it is now, not now ± 5 h.
    expect(Math.abs(Date.parse(res.body.data!.booking.createdAt) - Date.now())).toBeLessThan(60_000);
  });

  it("filters by instants given with any offset", async () => {
    const q = `query($from: DateTime) { bookings(filter: { dateFrom: $from }) { nodes { uid } } }`;
    // 23:30Z on Dec 1 is 18:30 in New York.
    const inclusive = await gw.gql(q, { from: "2031-12-01T18:30:00-05:00" }, key);
    expect(inclusive.body.data!.bookings.nodes).toEqual([{ uid: "tz-raw" }]);
    const after = await gw.gql(q, { from: "2031-12-01T18:30:00.001-05:00" }, key);
    expect(after.body.data!.bookings.nodes).toEqual([]);
  });
});
