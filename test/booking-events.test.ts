import { Client } from "pg";
import type { DataSource } from "typeorm";
import { Host, SchedulingType } from "../src/entities";
import { createApiKey, createBooking, createEventType, createTeam, createUser, createViewer } from "./support/factories";
import { createCalcomManagedDatabase, dropTestDatabase, onlyError, startTestGateway, type TestGateway } from "./support/harness";
import { urlForDatabase } from "./support/env";
import { until } from "./support/gateway-process";
import { startBookingEventRetention } from "../src/domain/events/booking-event-retention";
import { createLogger } from "../src/logger";
import { startWebhookReceiver } from "./support/webhook-receiver";

/**
 * Booking events and the change feed over GraphQL on real Postgres: every write path records the
 * contract's events in its transaction (a failed one none), the feed pages in commit-safe order with
 * no skip and no duplicate under concurrent commits, shows only what the viewer may read, and the
 * gateway's schema is created beside a Cal.com database's tables.
 */

const FEED = `query($after: String, $first: Int, $filter: BookingEventFilter) {
  bookingEvents(after: $after, first: $first, filter: $filter) {
    nodes { id type bookingId previousBookingId occurredAt booking { id status } } endCursor hasNextPage
  }
}`;
type Node = { id: string; type: string; bookingId: number; previousBookingId: number | null; booking: { id: number; status: string } };
type Page = { nodes: Node[]; endCursor: string | null; hasNextPage: boolean };

describe("booking events", () => {
  let gw: TestGateway;
  let ds: DataSource;
  let organizer: { key: string; id: number };
  let booker: { key: string; email: string };
  let admin: string;

  const feed = async (key: string, vars: Record<string, unknown> = {}) => {
    const res = await gw.gql<{ bookingEvents: Page }>(FEED, vars, key);
    if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
    return res.body.data!.bookingEvents;
  };
  /** Every event after `after`, page by page. */
  const drain = async (key: string, after: string | null = null, first = 3) => {
    const all: Node[] = [];
    let cursor = after;
    for (;;) {
      const page = await feed(key, { after: cursor, first });
      all.push(...page.nodes);
      cursor = page.endCursor;
      if (!page.hasNextPage) return { all, cursor };
    }
  };
  const rows = (bookingIds: number[]) =>
    ds.query(
      `SELECT type, booking_id AS "bookingId", previous_booking_id AS "previousBookingId", "trigger" FROM gateway.booking_events WHERE booking_id = ANY($1) ORDER BY id`,
      [bookingIds],
    );

  beforeAll(async () => {
    gw = await startTestGateway();
    ds = gw.dataSource;
    const o = await createViewer(ds);
    organizer = { key: o.key, id: o.user.id };
    const b = await createViewer(ds, { email: "events.booker@example.test" });
    booker = { key: b.key, email: b.user.email };
    const a = await createViewer(ds, { role: "ADMIN" as never });
    admin = a.key;
  });
  afterAll(() => gw.close());

  const create = (eventTypeId: number, start: string, key = booker.key, email = booker.email) =>
    gw.gql(
      `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id uid status } }`,
      {
        in: { eventTypeId, start, timeZone: "UTC", responses: { name: "E", email } },
      },
      key,
    );

  it("records the contract's event for every write path, and none for a failed one", async () => {
    const et = await createEventType(ds, { userId: organizer.id, length: 30, minimumBookingNotice: 0 });
    const pendingType = await createEventType(ds, {
      userId: organizer.id,
      length: 30,
      minimumBookingNotice: 0,
      requiresConfirmation: true,
    });
    const seated = await createEventType(ds, { userId: organizer.id, length: 30, minimumBookingNotice: 0, seatsPerTimeSlot: 3 });
    const m = (q: string, vars: Record<string, unknown> = {}, key = organizer.key) => gw.gql(q, vars, key);

    const a = (await create(et.id, "2032-01-05T10:00:00Z")).body.data!.createBooking;
    const p = (await create(pendingType.id, "2032-01-05T11:00:00Z")).body.data!.createBooking;
    const s1 = (await create(seated.id, "2032-01-05T12:00:00Z")).body.data!.createBooking;
    const other = await createViewer(ds);
    await create(seated.id, "2032-01-05T12:00:00Z", other.key, other.user.email);
    await m(`mutation { updateBooking(id: ${a.id}, input: { title: "Renamed" }) { id } }`);
    await m(`mutation { updateBooking(id: ${a.id}, input: { start: "2032-01-05T13:00:00Z" }) { id } }`);
    await m(`mutation { confirmBooking(id: ${p.id}) { id } }`);
    const r = (await create(pendingType.id, "2032-01-05T14:00:00Z")).body.data!.createBooking;
    await m(`mutation { rejectBooking(id: ${r.id}, reason: "no") { id } }`);
    const moved = (await m(`mutation { rescheduleBooking(id: ${a.id}, start: "2032-01-06T10:00:00Z") { id } }`)).body.data!
      .rescheduleBooking;
    await m(`mutation { cancelBooking(id: ${moved.id}) { id } }`);
    await gw.gql(`mutation { cancelBooking(id: ${s1.id}) { id } }`, {}, other.key); // a seat holder leaves

    const before = await ds.query(`SELECT count(*)::int AS n FROM gateway.booking_events`);
    expect(onlyError(await create(et.id, "2032-01-05T12:00:00Z")).extensions?.reason).toBe("SLOT_TAKEN"); // the seated booking is busy: nothing recorded
    expect(onlyError(await m(`mutation { cancelBooking(id: ${moved.id}) { id } }`)).extensions?.reason).toBe("ALREADY_CANCELLED");
    expect(await ds.query(`SELECT count(*)::int AS n FROM gateway.booking_events`)).toEqual(before);

    expect(await rows([a.id, p.id, s1.id, r.id, moved.id])).toEqual([
      { type: "CREATED", bookingId: a.id, previousBookingId: null, trigger: "BOOKING_CREATED" },
      { type: "REQUESTED", bookingId: p.id, previousBookingId: null, trigger: "BOOKING_REQUESTED" },
      { type: "CREATED", bookingId: s1.id, previousBookingId: null, trigger: "BOOKING_CREATED" },
      { type: "UPDATED", bookingId: s1.id, previousBookingId: null, trigger: "BOOKING_CREATED" }, // a seat joined
      { type: "UPDATED", bookingId: a.id, previousBookingId: null, trigger: null }, // title only
      { type: "UPDATED", bookingId: a.id, previousBookingId: null, trigger: "BOOKING_RESCHEDULED" }, // moved
      { type: "CONFIRMED", bookingId: p.id, previousBookingId: null, trigger: "BOOKING_CREATED" },
      { type: "REQUESTED", bookingId: r.id, previousBookingId: null, trigger: "BOOKING_REQUESTED" },
      { type: "REJECTED", bookingId: r.id, previousBookingId: null, trigger: "BOOKING_REJECTED" },
      { type: "RESCHEDULED", bookingId: moved.id, previousBookingId: a.id, trigger: "BOOKING_RESCHEDULED" },
      { type: "CANCELLED", bookingId: moved.id, previousBookingId: null, trigger: "BOOKING_CANCELLED" },
      { type: "UPDATED", bookingId: s1.id, previousBookingId: null, trigger: "BOOKING_CANCELLED" }, // a seat holder cancelled their seat
    ]);
    const [{ data }] = await ds.query(`SELECT data FROM gateway.booking_events WHERE booking_id = $1 AND type = 'RESCHEDULED'`, [moved.id]);
    expect(data).toMatchObject({ rescheduleUid: a.uid, rescheduleStartTime: "2032-01-05T13:00:00.000Z" });
  });

  it("cancelling a series records one CANCELLED per booking", async () => {
    const et = await createEventType(ds, { userId: organizer.id, length: 30, minimumBookingNotice: 0 });
    const series = "events-series-1";
    const made = [];
    for (const day of [10, 11, 12])
      made.push(
        await createBooking(ds, {
          userId: organizer.id,
          eventTypeId: et.id,
          recurringEventId: series,
          startTime: new Date(Date.UTC(2032, 1, day, 10)),
          endTime: new Date(Date.UTC(2032, 1, day, 10, 30)),
        }),
      );
    await gw.gql(`mutation { cancelBooking(id: ${made[0].id}, allRemainingBookings: true) { id } }`, {}, organizer.key);
    expect((await rows(made.map((b) => b.id))).map((r: { type: string; bookingId: number }) => [r.type, r.bookingId])).toEqual(
      made.map((b) => ["CANCELLED", b.id]),
    );
  });

  it("pages in order with filters, shows only events of bookings the viewer may read, and checks its arguments", async () => {
    const start = (await drain(admin)).cursor;
    const et = await createEventType(ds, { userId: organizer.id, length: 30, minimumBookingNotice: 0 });
    const mine = (await create(et.id, "2032-03-01T10:00:00Z")).body.data!.createBooking;
    const stranger = await createViewer(ds);
    const theirs = (await create(et.id, "2032-03-01T11:00:00Z", stranger.key, stranger.user.email)).body.data!.createBooking;
    await gw.gql(`mutation { cancelBooking(id: ${theirs.id}) { id } }`, {}, stranger.key);

    const all = (await drain(admin, start, 1)).all;
    expect(all.map((n) => [n.type, n.bookingId])).toEqual([
      ["CREATED", mine.id],
      ["CREATED", theirs.id],
      ["CANCELLED", theirs.id],
    ]);
    expect(all[2].booking).toEqual({ id: theirs.id, status: "CANCELLED" });
    const bookerView = (await drain(booker.key, start)).all;
    expect(bookerView.map((n) => n.bookingId)).toEqual([mine.id]); // not the stranger's booking
    const filtered = await feed(admin, { after: start, filter: { types: ["CANCELLED"] } });
    expect(filtered.nodes.map((n) => n.bookingId)).toEqual([theirs.id]);
    const byBooking = await feed(admin, { after: start, filter: { bookingIds: [mine.id] } });
    expect(byBooking.nodes.map((n) => n.type)).toEqual(["CREATED"]);
    // A page that reaches the end answers the horizon: a cursor that moves on even when the viewer
    // saw nothing (it never rescans, nor ages out), and loses nothing.
    const end = (await drain(booker.key, start)).cursor;
    const empty = await feed(booker.key, { after: end });
    expect(empty.nodes).toEqual([]);
    expect(empty.endCursor).toEqual(expect.any(String));
    const later = (await create(et.id, "2032-03-01T14:00:00Z")).body.data!.createBooking;
    expect((await feed(booker.key, { after: empty.endCursor })).nodes.map((n) => n.bookingId)).toEqual([later.id]);

    const field = async (vars: Record<string, unknown>) => onlyError(await gw.gql(FEED, vars, admin)).extensions;
    expect(await field({ first: 0 })).toEqual({ code: "BAD_USER_INPUT", field: "first" });
    expect(await field({ first: 251 })).toEqual({ code: "BAD_USER_INPUT", field: "first" });
    expect(await field({ after: "not-a-cursor" })).toEqual({ code: "BAD_USER_INPUT", field: "after" });
    const old = Buffer.from(JSON.stringify({ x: "1", i: "1", t: Date.now() - 31 * 86_400_000 })).toString("base64url");
    expect(await field({ after: old })).toEqual({ code: "BAD_USER_INPUT", field: "after" });
    const huge = Buffer.from(JSON.stringify({ x: "1", i: "9999999999999999999", t: Date.now() })).toString("base64url");
    expect(await field({ after: huge })).toEqual({ code: "BAD_USER_INPUT", field: "after" });
    expect(onlyError(await gw.gql(FEED, {})).extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("never shows an event ahead of a transaction still running, so a late commit is not skipped", async () => {
    const start = (await drain(admin)).cursor;
    const et = await createEventType(ds, { userId: organizer.id, length: 30, minimumBookingNotice: 0 });
    const b1 = await createBooking(ds, {
      userId: organizer.id,
      eventTypeId: et.id,
      startTime: new Date("2032-04-01T10:00:00Z"),
      endTime: new Date("2032-04-01T10:30:00Z"),
    });
    const slow = new Client({ connectionString: urlForDatabase(gw.databaseName) });
    await slow.connect();
    try {
      // A slow writer: its event takes a sequence value first, then commits last.
      await slow.query("BEGIN");
      await slow.query(`INSERT INTO gateway.booking_events (type, booking_id) VALUES ('UPDATED', $1)`, [b1.id]);
      const fast = (await create(et.id, "2032-04-01T12:00:00Z")).body.data!.createBooking;
      const page = await drain(admin, start);
      expect(page.all.map((n) => n.bookingId)).not.toContain(fast.id); // held back behind the running transaction
      // The metric shows how long the feed has been held back.
      await new Promise((r) => setTimeout(r, 1_100));
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      const age = Number(/^gateway_booking_events_horizon_age_seconds (\S+)$/m.exec(metrics)?.[1]);
      expect(age).toBeGreaterThanOrEqual(1);
      await slow.query("COMMIT");
      const after = await drain(admin, page.cursor);
      expect(after.all.map((n) => [n.type, n.bookingId])).toEqual([
        ["UPDATED", b1.id],
        ["CREATED", fast.id],
      ]);
    } finally {
      await slow.end();
    }
  });

  it("pages without skip or duplicate while 30 mutations commit concurrently", async () => {
    const start = (await drain(admin)).cursor;
    const team = await createTeam(ds);
    const hosts = [];
    for (let i = 0; i < 3; i += 1) hosts.push(await createUser(ds));
    const et = await createEventType(ds, {
      teamId: team.id,
      length: 30,
      minimumBookingNotice: 0,
      schedulingType: SchedulingType.ROUND_ROBIN,
    });
    await ds.getRepository(Host).insert(hosts.map((h) => ({ userId: h.id, eventTypeId: et.id, isFixed: false })));
    const seen: Node[] = [];
    let cursor = start;
    let done = false;
    const reader = (async () => {
      while (!done) {
        const page = await feed(admin, { after: cursor, first: 4 });
        seen.push(...page.nodes);
        cursor = page.endCursor;
      }
    })();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => create(et.id, new Date(Date.UTC(2032, 4, 1 + (i % 10), 8 + Math.floor(i / 10))).toISOString())),
    );
    done = true;
    await reader;
    const rest = await drain(admin, cursor);
    seen.push(...rest.all);
    const created = results.filter((r) => !r.body.errors).map((r) => r.body.data!.createBooking.id as number);
    expect(created).toHaveLength(30);
    const ids = seen.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length); // no duplicate
    expect(seen.map((n) => n.bookingId).sort((x, y) => x - y)).toEqual([...created].sort((x, y) => x - y)); // no skip
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM gateway.booking_events WHERE booking_id = ANY($1)`, [created]);
    expect(n).toBe(30);
  });

  it("with BOOKING_EVENTS=off nothing is recorded and the feed answers NOT_FOUND", async () => {
    const off = await startTestGateway({ env: { BOOKING_EVENTS: "off" } });
    try {
      const o = await createViewer(off.dataSource);
      const et = await createEventType(off.dataSource, { userId: o.user.id, length: 30, minimumBookingNotice: 0 });
      const made = await off.gql(
        `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id } }`,
        { in: { eventTypeId: et.id, start: "2032-06-01T10:00:00Z", timeZone: "UTC", responses: { name: "E", email: "e@example.test" } } },
        o.key,
      );
      expect(made.body.errors).toBeUndefined();
      expect(await off.dataSource.query(`SELECT count(*)::int AS n FROM gateway.booking_events`)).toEqual([{ n: 0 }]);
      expect(onlyError(await off.gql(FEED, {}, o.key)).extensions?.code).toBe("NOT_FOUND");
    } finally {
      await off.close();
    }
  });
});

describe("booking events on a Cal.com-managed database (DB_MIGRATIONS=off)", () => {
  it("creates the gateway schema at start beside Cal.com's tables, and records events", async () => {
    const name = await createCalcomManagedDatabase();
    try {
      const before = new Client({ connectionString: urlForDatabase(name) });
      await before.connect();
      expect((await before.query(`SELECT 1 FROM pg_namespace WHERE nspname IN ('gateway', 'gateway_worker')`)).rows).toEqual([]);
      const publicTables = (await before.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`))
        .rows;
      await before.end();
      const gw = await startTestGateway({ databaseName: name });
      const receiver = await startWebhookReceiver();
      try {
        const o = await createViewer(gw.dataSource);
        const key = await createApiKey(gw.dataSource, o.user);
        const et = await createEventType(gw.dataSource, { userId: o.user.id, length: 30, minimumBookingNotice: 0 });
        await gw.dataSource.query(
          `INSERT INTO "Webhook" (id, "userId", "subscriberUrl", "eventTriggers") VALUES ('calcom-hook', $1, $2, ARRAY['BOOKING_CREATED']::"WebhookTriggerEvents"[])`,
          [o.user.id, receiver.url + "/calcom"],
        );
        const made = await gw.gql(
          `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id } }`,
          { in: { eventTypeId: et.id, start: "2032-06-01T10:00:00Z", timeZone: "UTC", responses: { name: "E", email: "e@example.test" } } },
          key,
        );
        const id = made.body.data!.createBooking.id;
        const page = await gw.gql<{ bookingEvents: Page }>(FEED, {}, key);
        expect(page.body.data!.bookingEvents.nodes.map((n) => [n.type, n.bookingId])).toEqual([["CREATED", id]]);
        // Cal.com's own webhook subscribers get the booking the gateway made.
        await until("the webhook delivery", () => receiver.at("/calcom").length || undefined, 10_000);
        expect(receiver.at("/calcom")[0].json).toMatchObject({ triggerEvent: "BOOKING_CREATED", payload: { bookingId: id } });
        expect(
          await gw.dataSource.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`),
        ).toEqual(publicTables);
      } finally {
        await receiver.close();
        await gw.close();
      }
    } finally {
      await dropTestDatabase(name);
    }
  });
});

describe("retention (BOOKING_EVENTS_RETENTION_DAYS)", () => {
  it("prunes events and finished webhook deliveries older than the retention plus a day, and keeps the rest", async () => {
    const gw = await startTestGateway();
    try {
      const ds = gw.dataSource;
      const ev = async (daysAgo: number) =>
        (
          await ds.query(
            `INSERT INTO gateway.booking_events (type, booking_id, occurred_at) VALUES ('CREATED', 1, (now() AT TIME ZONE 'UTC') - $1 * interval '1 day') RETURNING id::text AS id`,
            [daysAgo],
          )
        )[0].id as string;
      const delivery = async (daysAgo: number, status: string) =>
        (
          await ds.query(
            `INSERT INTO gateway.webhook_deliveries (webhook_id, event_id, event_xid, "trigger", payload, status, created_at)
           VALUES ('w', 1, pg_current_xact_id(), 'BOOKING_CREATED', '{}', $2, (now() AT TIME ZONE 'UTC') - $1 * interval '1 day') RETURNING id::text AS id`,
            [daysAgo, status],
          )
        )[0].id as string;
      const oldEvent = await ev(40);
      const edgeEvent = await ev(30.5); // inside the day of margin
      const newEvent = await ev(1);
      const oldDone = await delivery(40, "DELIVERED");
      const oldFailed = await delivery(40, "FAILED");
      const oldPending = await delivery(40, "PENDING");
      const newDone = await delivery(1, "DELIVERED");
      const stop = startBookingEventRetention(ds, 30, createLogger("silent"));
      try {
        await until(
          "pruned",
          async () => ((await ds.query(`SELECT 1 FROM gateway.booking_events WHERE id = $1`, [oldEvent])).length === 0 ? true : undefined),
          10_000,
        );
        await until(
          "deliveries pruned",
          async () =>
            (await ds.query(`SELECT 1 FROM gateway.webhook_deliveries WHERE id = $1`, [oldFailed])).length === 0 ? true : undefined,
          10_000,
        );
      } finally {
        stop();
      }
      const left = (
        await ds.query(`SELECT id::text FROM gateway.booking_events WHERE id = ANY($1::bigint[]) ORDER BY id`, [
          [oldEvent, edgeEvent, newEvent],
        ])
      ).map((r: { id: string }) => r.id);
      expect(left).toEqual([edgeEvent, newEvent]);
      const kept = (
        await ds.query(`SELECT id::text FROM gateway.webhook_deliveries WHERE id = ANY($1::bigint[]) ORDER BY id`, [
          [oldDone, oldFailed, oldPending, newDone],
        ])
      ).map((r: { id: string }) => r.id);
      expect(kept).toEqual([oldPending, newDone]);
    } finally {
      await gw.close();
    }
  });
});
