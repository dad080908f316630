import type { DataSource } from "typeorm";
import { BookingStatus } from "../src/entities";
import { createBooking, createEventType, createViewer } from "./support/factories";
import {
  createCalcomManagedDatabase,
  createTestDatabase,
  dropTestDatabase,
  startTestGateway,
  type GqlResponse,
  type TestGateway,
} from "./support/harness";

/**
 * Races decided under the organizer's advisory lock, with the requests split across two gateway
 * instances (two pools) on one database, on the gateway's migrated database and on one laid out
 * by Cal.com (no gateway migrations: the guarantee rests on no constraint of ours).
 */
describe.each([
  ["migrated database", createTestDatabase],
  ["Cal.com-managed database (DB_MIGRATIONS=off)", createCalcomManagedDatabase],
])("concurrency on a %s", (_label, makeDatabase) => {
  let name: string;
  let a: TestGateway;
  let b: TestGateway;
  let ds: DataSource;
  let key: string;
  let organizerId: number;
  let eventTypeId: number;
  /** Moves and reschedules act as the organizer (allowed to manage their bookings). */
  let organizerKey: string;

  const CREATE = `mutation($input: CreateBookingInput!) { createBooking(input: $input) { id startTime } }`;
  const both = () => [a, b];
  const create = (i: number, start: Date, extra: Record<string, unknown> = {}) =>
    both()[i % 2].gql(
      CREATE,
      {
        input: {
          eventTypeId,
          start: start.toISOString(),
          timeZone: "UTC",
          responses: { name: `Racer ${i}`, email: `racer${i}@example.test` },
          ...extra,
        },
      },
      key,
    );
  const holders = async (start: Date, end: Date) =>
    await ds.query<Array<{ id: number }>>(
      `SELECT id FROM "Booking" WHERE "userId" = $1 AND status IN ('accepted', 'pending') AND "startTime" < $3 AND "endTime" > $2`,
      [organizerId, start, end],
    );
  const outcome = (res: GqlResponse) =>
    res.body.errors ? String(res.body.errors[0].extensions?.reason ?? res.body.errors[0].extensions?.code) : "OK";

  beforeAll(async () => {
    name = await makeDatabase();
    a = await startTestGateway({ databaseName: name });
    b = await startTestGateway({ databaseName: name });
    ds = a.dataSource;
    const viewer = await createViewer(ds);
    key = viewer.key;
    const organizer = await createViewer(ds);
    organizerId = organizer.user.id;
    organizerKey = organizer.key;
    eventTypeId = (await createEventType(ds, { userId: organizerId, length: 30, metadata: { multipleDuration: [30, 60] } })).id;
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await dropTestDatabase(name);
  });

  it("20 concurrent creates on one slot make exactly one booking", async () => {
    const start = new Date(Date.UTC(2033, 0, 3, 10));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => create(i, start)));
    const outcomes = results.map(outcome);
    expect(outcomes.filter((o) => o === "OK")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "SLOT_TAKEN")).toHaveLength(19);
    expect(await holders(start, new Date(start.getTime() + 30 * 60_000))).toHaveLength(1);
  });

  it("concurrent creates on overlapping (not identical) ranges make exactly one booking", async () => {
    const start = new Date(Date.UTC(2033, 0, 4, 10));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        create(
          i,
          new Date(start.getTime() + (i % 2) * 30 * 60_000),
          i % 2 ? {} : { end: new Date(start.getTime() + 3_600_000).toISOString() },
        ),
      ),
    );
    expect(results.map(outcome).filter((o) => o === "OK")).toHaveLength(1);
    expect(await holders(start, new Date(start.getTime() + 3_600_000))).toHaveLength(1);
  });

  it("concurrent requests with one client idempotency key make one booking and all return it", async () => {
    const start = new Date(Date.UTC(2033, 0, 5, 10));
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => create(i, start, { idempotencyKey: "same-key-1" })));
    const ids = new Set(results.map((r) => r.body.data?.createBooking?.id));
    expect(results.map(outcome)).toEqual(Array(10).fill("OK"));
    expect(ids.size).toBe(1);
    expect(await holders(start, new Date(start.getTime() + 30 * 60_000))).toHaveLength(1);
  });

  it("two concurrent moves into the same free slot: one wins", async () => {
    const target = new Date(Date.UTC(2033, 0, 6, 15));
    const x = await createBooking(ds, { userId: organizerId, eventTypeId, startTime: new Date(Date.UTC(2033, 0, 6, 9)) });
    const y = await createBooking(ds, { userId: organizerId, eventTypeId, startTime: new Date(Date.UTC(2033, 0, 6, 11)) });
    const MOVE = `mutation($id: Int!, $start: DateTime) { updateBooking(id: $id, input: { start: $start }) { id } }`;
    const results = await Promise.all([
      a.gql(MOVE, { id: x.id, start: target.toISOString() }, organizerKey),
      b.gql(MOVE, { id: y.id, start: target.toISOString() }, organizerKey),
    ]);
    expect(results.map(outcome).sort()).toEqual(["OK", "SLOT_TAKEN"]);
    expect(await holders(target, new Date(target.getTime() + 30 * 60_000))).toHaveLength(1);
  });

  it("a reschedule racing a create for the same new slot: exactly one gets it", async () => {
    for (let round = 0; round < 5; round += 1) {
      const target = new Date(Date.UTC(2033, 1, 1 + round, 15));
      const old = await createBooking(ds, { userId: organizerId, eventTypeId, startTime: new Date(Date.UTC(2033, 1, 1 + round, 9)) });
      const [moved, created] = await Promise.all([
        a.gql(
          `mutation($id: Int!, $s: DateTime!) { rescheduleBooking(id: $id, start: $s) { id } }`,
          { id: old.id, s: target.toISOString() },
          organizerKey,
        ),
        create(1, target),
      ]);
      expect([outcome(moved), outcome(created)].sort()).toEqual(["OK", "SLOT_TAKEN"]);
      expect(await holders(target, new Date(target.getTime() + 30 * 60_000))).toHaveLength(1);
      const [oldRow] = await ds.query(`SELECT status::text FROM "Booking" WHERE id = $1`, [old.id]);
      expect(oldRow.status).toBe(outcome(moved) === "OK" ? BookingStatus.CANCELLED : BookingStatus.ACCEPTED);
    }
  });
});
