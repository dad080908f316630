import { createClient, type Client } from "graphql-ws";
import { Client as PgClient } from "pg";
import WebSocket from "ws";
import { createEventType, createViewer } from "./support/factories";
import { createTestDatabase, dropTestDatabase, startTestGateway, type TestGateway } from "./support/harness";
import { urlForDatabase } from "./support/env";
import { GatewayClient } from "../src/db/pg-client";

/**
 * Booking-event subscriptions over real WebSockets (graphql-ws clients) against real gateways on
 * real Postgres: authentication (4403), replay-then-live without gap or duplicate, visibility, an
 * event made on instance A reaching a subscriber on instance B, and a dropped LISTEN connection.
 */

const SUBSCRIBE = `subscription($after: String) { bookingEvents(after: $after) { id type bookingId booking { id status } } }`;
type Event = { id: string; type: string; bookingId: number; booking: { id: number; status: string } };

function wsClient(url: string, key?: string, viaHeader = false): Client {
  const headers = viaHeader && key ? { authorization: `Bearer ${key}` } : undefined;
  const Impl = headers
    ? class extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers });
        }
      }
    : WebSocket;
  return createClient({
    url: url.replace("http://", "ws://") + "/graphql",
    webSocketImpl: Impl,
    connectionParams: key && !viaHeader ? { authorization: `Bearer ${key}` } : undefined,
    retryAttempts: 0,
    lazy: true,
  });
}

/** Collects events of a subscription until stopped. */
function collect(client: Client, variables: Record<string, unknown> = {}) {
  const events: Event[] = [];
  const errors: unknown[] = [];
  let closeCode: number | undefined;
  client.on("closed", (e) => (closeCode = (e as { code?: number }).code));
  const stop = client.subscribe<{ bookingEvents: Event }>(
    { query: SUBSCRIBE, variables },
    {
      next: (r) => (r.data ? events.push(r.data.bookingEvents) : errors.push(r.errors)),
      error: (e) => errors.push(e),
      complete: () => undefined,
    },
  );
  return {
    events,
    errors,
    stop,
    get closeCode() {
      return closeCode;
    },
  };
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("booking-event subscriptions", () => {
  let name: string;
  let a: TestGateway;
  let b: TestGateway;
  let organizer: { key: string; id: number };
  let admin: string;
  const clients: Client[] = [];
  const client = (url: string, key?: string, viaHeader = false) => {
    const c = wsClient(url, key, viaHeader);
    clients.push(c);
    return c;
  };

  /** The feed's cursor now (drained to the end): a subscription from it misses nothing made after. */
  const now = async (key: string) => {
    let cursor: string | null = null;
    for (;;) {
      const res: { body: { data?: { bookingEvents: { endCursor: string; hasNextPage: boolean } } | null } } = await a.gql(
        `query($a: String) { bookingEvents(after: $a, first: 250) { endCursor hasNextPage } }`,
        { a: cursor },
        key,
      );
      cursor = res.body.data!.bookingEvents.endCursor;
      if (!res.body.data!.bookingEvents.hasNextPage) return cursor;
    }
  };

  const book = async (gw: TestGateway, eventTypeId: number, start: string, key: string, email: string) => {
    const res = await gw.gql(
      `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id } }`,
      {
        in: { eventTypeId, start, timeZone: "UTC", responses: { name: "S", email } },
      },
      key,
    );
    if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
    return res.body.data!.createBooking.id as number;
  };

  beforeAll(async () => {
    name = await createTestDatabase();
    a = await startTestGateway({ databaseName: name });
    b = await startTestGateway({ databaseName: name, env: { API_KEY_CACHE_SECONDS: "0" } });
    const o = await createViewer(a.dataSource);
    organizer = { key: o.key, id: o.user.id };
    admin = (await createViewer(a.dataSource, { role: "ADMIN" as never })).key;
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await a.close();
    await b.close();
    await dropTestDatabase(name);
  });

  it("closes with 4403 without a key or with a bad one, and takes the key from connectionParams or the Authorization header", async () => {
    const none = collect(client(a.url));
    await until(() => none.closeCode !== undefined);
    expect(none.closeCode).toBe(4403);
    const bad = collect(client(a.url, "cal_00000000000000000000000000000000"));
    await until(() => bad.closeCode !== undefined);
    expect(bad.closeCode).toBe(4403);

    const et = await createEventType(a.dataSource, { userId: organizer.id, length: 30, minimumBookingNotice: 0 });
    const header = collect(client(a.url, organizer.key, true), { after: await now(organizer.key) });
    const id = await book(a, et.id, "2033-01-03T10:00:00Z", organizer.key, "h@example.test");
    await until(() => header.events.some((e) => e.bookingId === id));
    expect(header.events.find((e) => e.bookingId === id)).toMatchObject({ type: "CREATED", booking: { id, status: "ACCEPTED" } });
    header.stop();
  });

  it("serves live events from the instance's shared window: idle filtered subscriptions cost no feed read and no query per commit", async () => {
    const et = await createEventType(a.dataSource, { userId: organizer.id, length: 30, minimumBookingNotice: 0 });
    const SUB = `subscription($ids: [Int!]) { bookingEvents(filter: { bookingIds: $ids }) { bookingId } }`;
    const idle = client(a.url, organizer.key);
    for (let i = 0; i < 19; i += 1)
      idle.subscribe(
        { query: SUB, variables: { ids: [-1 - i] } },
        { next: () => undefined, error: () => undefined, complete: () => undefined },
      );
    const watcher = collect(client(a.url, organizer.key));
    await new Promise((r) => setTimeout(r, 1_500)); // every stream has made its first read; the window is up
    // Every statement the gateway sends goes through GatewayClient.query: count them by kind.
    const sent = jest.spyOn(GatewayClient.prototype, "query");
    const texts = () => sent.mock.calls.map(([c]) => (typeof c === "string" ? c : String((c as { text?: string })?.text ?? "")));
    const feedReads = {
      get count() {
        return texts().filter(
          (t) =>
            t.includes("FROM gateway.booking_events e") &&
            t.includes("CAST(:ev_xid") === false &&
            t.includes("e.xid < h.x") &&
            !t.includes("$1::boolean"),
        ).length;
      },
    };
    const visibility = {
      get count() {
        return texts().filter((t) => t.includes(`SELECT b.id FROM "Booking" b WHERE b.id = ANY(`)).length;
      },
    };
    const windowReads = {
      get count() {
        return texts().filter((t) => t.includes("$1::boolean AND e.xid < h.x")).length;
      },
    };
    try {
      const ids: number[] = [];
      for (let i = 0; i < 4; i += 1) ids.push(await book(a, et.id, `2034-07-0${i + 1}T10:00:00Z`, organizer.key, "w@example.test"));
      await until(() => ids.every((id) => watcher.events.some((e) => e.bookingId === id)), 10_000);
      expect(watcher.events.filter((e) => ids.includes(e.bookingId))).toHaveLength(4); // no duplicate
      expect(feedReads.count).toBe(0); // 20 streams, 4 commits: no stream read the feed itself
      expect(visibility.count).toBeGreaterThan(0);
      expect(visibility.count).toBeLessThanOrEqual(4); // only the watcher had candidates
      expect(windowReads.count).toBeGreaterThan(0);
      expect(windowReads.count).toBeLessThanOrEqual(12); // per wake-up / poll of the instance, not per stream
    } finally {
      sent.mockRestore();
      watcher.stop();
    }
  });

  it("replays from `after`, then continues live, without gap or duplicate; shows only what the viewer may read", async () => {
    const et = await createEventType(a.dataSource, { userId: organizer.id, length: 30, minimumBookingNotice: 0 });
    const cursor = await now(admin);
    const before = [
      await book(a, et.id, "2033-02-01T10:00:00Z", organizer.key, "r1@example.test"),
      await book(a, et.id, "2033-02-01T11:00:00Z", organizer.key, "r2@example.test"),
    ];
    const stranger = await createViewer(a.dataSource);
    const seesAll = collect(client(b.url, admin), { after: cursor });
    const seesOwn = collect(client(b.url, stranger.key), { after: cursor });
    await until(() => seesAll.events.length >= 2);
    const live = await book(a, et.id, "2033-02-01T12:00:00Z", organizer.key, "r3@example.test"); // made on A, seen on B
    const strangersOwn = await book(a, et.id, "2033-02-01T13:00:00Z", stranger.key, stranger.user.email);
    await until(() => seesAll.events.length >= 4 && seesOwn.events.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(seesAll.events.map((e) => e.bookingId)).toEqual([...before, live, strangersOwn]);
    expect(seesOwn.events.map((e) => e.bookingId)).toEqual([strangersOwn]); // the organizer's bookings are not theirs to read
    seesAll.stop();
    seesOwn.stop();
  });

  it("keeps delivering after its LISTEN connection is killed", async () => {
    const et = await createEventType(a.dataSource, { userId: organizer.id, length: 30, minimumBookingNotice: 0 });
    const sub = collect(client(b.url, admin), { after: await now(admin) });
    const pg = new PgClient({ connectionString: urlForDatabase(name) });
    await pg.connect();
    try {
      const listeners = async () =>
        (
          await pg.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'calcom-graphql-gateway-events'`, [
            name,
          ])
        ).rows.length;
      expect(await listeners()).toBe(2); // one listener per instance
      await pg.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'calcom-graphql-gateway-events'`,
        [name],
      );
      const id = await book(a, et.id, "2033-03-01T10:00:00Z", organizer.key, "k@example.test");
      await until(() => sub.events.some((e) => e.bookingId === id), 8_000);
      // Both instances listen again (reconnected with backoff).
      const end = Date.now() + 8_000;
      while ((await listeners()) < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(await listeners()).toBe(2);
    } finally {
      await pg.end();
    }
    sub.stop();
  });

  it("answers a subscribe message that does not parse or validate with the code HTTP gives it, not as a crash", async () => {
    const c = client(b.url, organizer.key);
    const refusal = (query: string) =>
      new Promise<unknown>((resolve) => c.subscribe({ query }, { next: resolve, error: resolve, complete: () => undefined }));
    try {
      const [invalid] = (await refusal(`subscription { bookingEvents { noSuchField } }`)) as Array<{
        message: string;
        extensions: { code: string };
      }>;
      expect(invalid.extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
      expect(invalid.message).toContain("noSuchField");
      const [unparsed] = (await refusal(`subscription { bookingEvents {`)) as Array<{ message: string; extensions: { code: string } }>;
      expect(unparsed.extensions.code).toBe("GRAPHQL_PARSE_FAILED");
      expect(unparsed.message).toMatch(/^Syntax Error/);
    } finally {
      await c.dispose();
    }
  });

  it("runs only subscriptions over WebSocket, and ends a stream whose user gets locked", async () => {
    const viewer = await createViewer(a.dataSource);
    const c = client(b.url, viewer.key);
    const answer = await new Promise<unknown>((resolve) => {
      c.subscribe({ query: "{ me { id } }" }, { next: (r) => resolve(r), error: (e) => resolve(e), complete: () => undefined });
    });
    expect(JSON.stringify(answer)).toContain("Only subscriptions run over WebSocket");

    const et = await createEventType(a.dataSource, { userId: viewer.user.id, length: 30, minimumBookingNotice: 0 });
    const sub = collect(c, { after: await now(viewer.key) });
    const first = await book(a, et.id, "2033-04-01T10:00:00Z", viewer.key, viewer.user.email);
    await until(() => sub.events.some((e) => e.bookingId === first));
    await a.dataSource.query(`UPDATE users SET locked = true WHERE id = $1`, [viewer.user.id]);
    await book(a, et.id, "2033-04-01T11:00:00Z", organizer.key, "other@example.test"); // wakes the stream
    await until(() => sub.errors.length > 0, 8_000);
    expect(JSON.stringify(sub.errors)).toContain("FORBIDDEN");
  });
});
