import { createHmac, randomUUID } from "node:crypto";
import { Client as PgClient, Pool } from "pg";
import { sweepOverdueDeliveries } from "../src/domain/webhooks/webhook-delivery.worker";
import { Webhook as StandardWebhook } from "standardwebhooks";
import type { DataSource } from "typeorm";
import { MembershipRole } from "../src/entities";
import { addMember, createBooking, createEventType, createTeam, createViewer } from "./support/factories";
import { createTestDatabase, dropTestDatabase, onlyError, startTestGateway, type TestGateway } from "./support/harness";
import { startGatewayProcess, until, type GatewayProcess } from "./support/gateway-process";
import { urlForDatabase } from "./support/env";
import { startWebhookReceiver, type Received, type WebhookReceiver } from "./support/webhook-receiver";

/**
 * Cal.com webhooks delivered by the gateway, over real HTTP to real receivers on 127.0.0.1, from real
 * gateways (in-process and built processes) on real Postgres: the trigger of every row of the event
 * table with Cal.com's body, both signatures checked by independent code (Node's crypto for
 * Cal.com's, the `standardwebhooks` package for Standard Webhooks), scoping, retries with backoff,
 * give-up, redelivery, no redirects, timeouts, private-address blocking, the delivery log's access
 * rule, two instances, and a process killed before and during a delivery.
 */

const FAST = { WEBHOOK_RETRY_BASE_MS: "100", WEBHOOK_TIMEOUT_MS: "1000", WEBHOOK_MAX_ATTEMPTS: "3" };
const TRIGGERS = ["BOOKING_CREATED", "BOOKING_REQUESTED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED", "BOOKING_REJECTED"];

interface HookSpec {
  path: string;
  userId?: number | null;
  teamId?: number | null;
  eventTypeId?: number | null;
  triggers?: string[];
  secret?: string | null;
  active?: boolean;
  platform?: boolean;
}

async function addWebhook(ds: DataSource, receiver: WebhookReceiver, spec: HookSpec): Promise<string> {
  const id = randomUUID();
  await ds.query(
    `INSERT INTO "Webhook" (id, "userId", "teamId", "eventTypeId", "subscriberUrl", "eventTriggers", secret, active, platform)
     VALUES ($1, $2, $3, $4, $5, $6::"WebhookTriggerEvents"[], $7, $8, $9)`,
    [
      id,
      spec.userId ?? null,
      spec.teamId ?? null,
      spec.eventTypeId ?? null,
      receiver.url + spec.path,
      spec.triggers ?? TRIGGERS,
      spec.secret ?? null,
      spec.active ?? true,
      spec.platform ?? false,
    ],
  );
  return id;
}

const deliveries = (ds: DataSource, webhookId: string) =>
  ds.query<
    Array<{ id: string; status: string; attempts: number; lastStatusCode: number | null; lastError: string | null; trigger: string }>
  >(
    `SELECT id::text, status, attempts, last_status_code AS "lastStatusCode", last_error AS "lastError", "trigger" FROM gateway.webhook_deliveries WHERE webhook_id = $1 ORDER BY id`,
    [webhookId],
  );

const LOG = `query($id: String!, $first: Int, $after: String) { webhookDeliveries(webhookId: $id, first: $first, after: $after) {
  nodes { id eventId trigger status attempts lastStatusCode lastError nextAttemptAt createdAt deliveredAt } endCursor hasNextPage } }`;

describe("webhooks", () => {
  let gw: TestGateway;
  let ds: DataSource;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    gw = await startTestGateway({ env: FAST });
    ds = gw.dataSource;
  });
  afterAll(async () => {
    await gw.close();
    await receiver.close();
  });

  const book = (key: string, eventTypeId: number, start: string, email: string) =>
    gw.gql<{ createBooking: { id: number; uid: string; status: string } }>(
      `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id uid status } }`,
      { in: { eventTypeId, start, timeZone: "UTC", responses: { name: "Booker", email } } },
      key,
    );

  it("sends the contract's trigger for every row of the event table, with Cal.com's body and both signatures; a failed mutation sends nothing", async () => {
    const organizer = await createViewer(ds, { name: "Olga Organizer", timeZone: "Europe/Berlin" });
    const booker = await createViewer(ds, { email: `booker.${randomUUID()}@example.test` });
    const other = await createViewer(ds);
    const secret = "whsec-test-" + randomUUID();
    const hookId = await addWebhook(ds, receiver, { path: "/all", userId: organizer.user.id, secret });
    const et = await createEventType(ds, { userId: organizer.user.id, length: 30, slug: `intro-${randomUUID().slice(0, 8)}` });
    const pendingType = await createEventType(ds, { userId: organizer.user.id, length: 30, requiresConfirmation: true });
    const seated = await createEventType(ds, { userId: organizer.user.id, length: 30, seatsPerTimeSlot: 3 });
    const m = (q: string) => gw.gql(q, {}, organizer.key);

    const a = (await book(booker.key, et.id, "2033-01-05T10:00:00Z", booker.user.email)).body.data!.createBooking;
    const p = (await book(booker.key, pendingType.id, "2033-01-05T11:00:00Z", booker.user.email)).body.data!.createBooking;
    const s = (await book(booker.key, seated.id, "2033-01-05T12:00:00Z", booker.user.email)).body.data!.createBooking;
    await book(other.key, seated.id, "2033-01-05T12:00:00Z", other.user.email); // joins the seated booking
    await m(`mutation { updateBooking(id: ${a.id}, input: { title: "Renamed" }) { id } }`); // no trigger
    await m(`mutation { updateBooking(id: ${a.id}, input: { start: "2033-01-05T13:00:00Z" }) { id } }`);
    await m(`mutation { confirmBooking(id: ${p.id}) { id } }`);
    const r = (await book(booker.key, pendingType.id, "2033-01-05T14:00:00Z", booker.user.email)).body.data!.createBooking;
    await m(`mutation { rejectBooking(id: ${r.id}, reason: "double booked") { id } }`);
    const moved = (await m(`mutation { rescheduleBooking(id: ${a.id}, start: "2033-01-06T10:00:00Z", reason: "trip") { id uid } }`)).body
      .data!.rescheduleBooking;
    await m(`mutation { cancelBooking(id: ${moved.id}, cancellationReason: "ill") { id } }`);
    await gw.gql(`mutation { cancelBooking(id: ${s.id}) { id } }`, {}, other.key); // a seat holder leaves

    const before = await deliveries(ds, hookId);
    expect(onlyError(await m(`mutation { cancelBooking(id: ${moved.id}) { id } }`)).extensions?.reason).toBe("ALREADY_CANCELLED");
    expect(onlyError(await book(booker.key, pendingType.id, "2033-01-05T11:00:00Z", booker.user.email)).extensions?.reason).toBe(
      "SLOT_TAKEN",
    );

    const expected: Array<[string, number]> = [
      ["BOOKING_CREATED", a.id],
      ["BOOKING_REQUESTED", p.id],
      ["BOOKING_CREATED", s.id],
      ["BOOKING_CREATED", s.id],
      ["BOOKING_RESCHEDULED", a.id],
      ["BOOKING_CREATED", p.id],
      ["BOOKING_REQUESTED", r.id],
      ["BOOKING_REJECTED", r.id],
      ["BOOKING_RESCHEDULED", moved.id],
      ["BOOKING_CANCELLED", moved.id],
      ["BOOKING_CANCELLED", s.id],
    ];
    await until("every delivery", () => receiver.at("/all").length >= expected.length || undefined, 15_000);
    const got = receiver.at("/all");
    const key = (x: [string, number]) => `${x[0]}:${x[1]}`;
    expect(got.map((g) => key([g.json.triggerEvent, g.json.payload.bookingId as number])).sort()).toEqual(expected.map(key).sort());
    const after = await deliveries(ds, hookId);
    expect(after.map((d) => d.id)).toEqual(before.map((d) => d.id)); // the two failed mutations queued nothing
    expect(after).toHaveLength(expected.length);
    expect(after.every((d) => d.status === "DELIVERED" && d.attempts === 1 && d.lastStatusCode === 200)).toBe(true);

    // Signatures, verified independently: Cal.com's hex HMAC of the raw body, Standard Webhooks.
    const verifier = new StandardWebhook(new Uint8Array(Buffer.from(secret, "utf8")), { format: "raw" });
    for (const g of got) {
      expect(g.headers["content-type"]).toBe("application/json");
      expect(g.headers["x-cal-signature-256"]).toBe(createHmac("sha256", secret).update(g.body).digest("hex"));
      expect(() => verifier.verify(g.body, g.headers as Record<string, string>)).not.toThrow();
      expect(after.map((d) => d.id)).toContain(g.headers["webhook-id"]);
      expect(Math.abs(Number(g.headers["webhook-timestamp"]) - g.at / 1000)).toBeLessThan(5);
      expect(Date.parse(g.json.createdAt)).toBeGreaterThan(0);
    }
    // A tampered body fails the Standard Webhooks check.
    expect(() => verifier.verify(got[0].body.replace("Booker", "Mallory"), got[0].headers as Record<string, string>)).toThrow();

    const find = (trigger: string, bookingId: number) =>
      got.find((g) => g.json.triggerEvent === trigger && g.json.payload.bookingId === bookingId)!.json.payload;
    const created = find("BOOKING_CREATED", a.id);
    expect(created).toMatchObject({
      bookingId: a.id,
      uid: a.uid,
      eventTypeId: et.id,
      type: et.slug,
      title: expect.any(String),
      startTime: "2033-01-05T10:00:00.000Z",
      endTime: "2033-01-05T10:30:00.000Z",
      status: "ACCEPTED",
      location: expect.anything(),
      responses: expect.objectContaining({ name: "Booker", email: booker.user.email }),
      metadata: expect.any(Object),
      organizer: { id: organizer.user.id, name: "Olga Organizer", email: organizer.user.email, timeZone: "Europe/Berlin" },
      attendees: [expect.objectContaining({ name: "Booker", email: booker.user.email, timeZone: "UTC" })],
    });
    expect(created).toHaveProperty("description");
    expect(find("BOOKING_REQUESTED", p.id).status).toBe("PENDING");
    expect(find("BOOKING_CREATED", p.id).status).toBe("ACCEPTED"); // confirmed: the snapshot at that commit
    expect(find("BOOKING_RESCHEDULED", a.id)).toMatchObject({
      uid: a.uid,
      rescheduleUid: a.uid,
      startTime: "2033-01-05T13:00:00.000Z",
      rescheduleStartTime: "2033-01-05T10:00:00.000Z",
      rescheduleEndTime: "2033-01-05T10:30:00.000Z",
    });
    expect(find("BOOKING_REJECTED", r.id)).toMatchObject({ status: "REJECTED", rejectionReason: "double booked" });
    expect(find("BOOKING_RESCHEDULED", moved.id)).toMatchObject({
      uid: moved.uid,
      rescheduleUid: a.uid,
      rescheduleStartTime: "2033-01-05T13:00:00.000Z",
      startTime: "2033-01-06T10:00:00.000Z",
    });
    expect(find("BOOKING_CANCELLED", moved.id)).toMatchObject({
      status: "CANCELLED",
      cancellationReason: "ill",
      cancelledBy: organizer.user.email,
    });

    // One log line per attempt, with what an operator needs and never the secret or the body. An
    // attempt logs once its receiver has answered, so the last line may follow the last request.
    const attemptLines = () => gw.logLines.filter((l) => l.msg === "webhook attempt" && l.webhookId === hookId);
    await until("a log line per attempt", () => attemptLines().length >= expected.length || undefined, 5_000).catch(() => undefined);
    const lines = attemptLines();
    expect(lines).toHaveLength(expected.length);
    for (const l of lines)
      expect(l).toMatchObject({
        trigger: expect.any(String),
        statusCode: 200,
        durationMs: expect.any(Number),
        result: "delivered",
        attempt: 1,
      });
    expect(JSON.stringify(gw.logLines)).not.toContain(secret);
    expect(JSON.stringify(gw.logLines)).not.toContain(booker.user.email);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_webhook_deliveries_total\{trigger="BOOKING_CREATED",result="delivered"\} [1-9]/);
  });

  it("a webhook without a secret gets Cal.com's literal no-secret-provided signature header and no webhook-signature", async () => {
    const organizer = await createViewer(ds);
    await addWebhook(ds, receiver, { path: "/nosecret", userId: organizer.user.id, triggers: ["BOOKING_CREATED"] });
    const et = await createEventType(ds, { userId: organizer.user.id });
    await book(organizer.key, et.id, "2033-02-01T10:00:00Z", organizer.user.email);
    const [g] = await until("the delivery", () => (receiver.at("/nosecret").length ? receiver.at("/nosecret") : undefined), 10_000);
    expect(g.headers["x-cal-signature-256"]).toBe("no-secret-provided"); // what Cal.com's sendPayload sends without a secret
    expect(g.headers["webhook-signature"]).toBeUndefined();
    expect(g.headers["webhook-id"]).toMatch(/^\d+$/);
  });

  it("matches by user, event type, team and organization, once per webhook; inactive, platform and unsubscribed webhooks get nothing", async () => {
    const org = await createTeam(ds, { isOrganization: true });
    const team = await createTeam(ds, { parentId: org.id });
    const organizer = await createViewer(ds, { organizationId: org.id });
    const outsider = await createViewer(ds);
    const personal = await createEventType(ds, { userId: organizer.user.id });
    const teamType = await createEventType(ds, { teamId: team.id, userId: null });
    const hooks = {
      user: await addWebhook(ds, receiver, { path: "/s/user", userId: organizer.user.id, triggers: ["BOOKING_CANCELLED"] }),
      userAndType: await addWebhook(ds, receiver, {
        path: "/s/both",
        userId: organizer.user.id,
        eventTypeId: personal.id,
        triggers: ["BOOKING_CANCELLED"],
      }),
      eventType: await addWebhook(ds, receiver, { path: "/s/et", eventTypeId: teamType.id, triggers: ["BOOKING_CANCELLED"] }),
      team: await addWebhook(ds, receiver, { path: "/s/team", teamId: team.id, triggers: ["BOOKING_CANCELLED"] }),
      org: await addWebhook(ds, receiver, { path: "/s/org", teamId: org.id, triggers: ["BOOKING_CANCELLED"] }),
      inactive: await addWebhook(ds, receiver, { path: "/s/inactive", userId: organizer.user.id, active: false }),
      platform: await addWebhook(ds, receiver, { path: "/s/platform", userId: organizer.user.id, platform: true }),
      unsubscribed: await addWebhook(ds, receiver, { path: "/s/unsub", userId: organizer.user.id, triggers: ["BOOKING_CREATED"] }),
      outsider: await addWebhook(ds, receiver, { path: "/s/outsider", userId: outsider.user.id }),
    };
    const b1 = await createBooking(ds, {
      userId: organizer.user.id,
      eventTypeId: personal.id,
      startTime: new Date("2033-03-01T10:00:00Z"),
      endTime: new Date("2033-03-01T10:30:00Z"),
    });
    const b2 = await createBooking(ds, {
      userId: organizer.user.id,
      eventTypeId: teamType.id,
      startTime: new Date("2033-03-01T11:00:00Z"),
      endTime: new Date("2033-03-01T11:30:00Z"),
    });
    for (const b of [b1, b2])
      expect((await gw.gql(`mutation { cancelBooking(id: ${b.id}) { id } }`, {}, organizer.key)).body.errors).toBeUndefined();

    const count = async (id: string) => (await deliveries(ds, id)).length;
    expect(await count(hooks.user)).toBe(2);
    expect(await count(hooks.userAndType)).toBe(2); // b1 matches it twice (user and event type): one delivery
    expect(await count(hooks.eventType)).toBe(1);
    expect(await count(hooks.team)).toBe(1);
    expect(await count(hooks.org)).toBe(2);
    for (const none of [hooks.inactive, hooks.platform, hooks.unsubscribed, hooks.outsider]) expect(await count(none)).toBe(0);
    await until("the scoped deliveries", () => receiver.received.filter((r) => r.path.startsWith("/s/")).length >= 8 || undefined, 10_000);
    expect(
      receiver.received
        .filter((r) => r.path.startsWith("/s/"))
        .map((r) => r.path)
        .sort(),
    ).toEqual(["/s/both", "/s/both", "/s/et", "/s/org", "/s/org", "/s/team", "/s/user", "/s/user"]);
  });

  it("retries with exponential backoff, gives up after WEBHOOK_MAX_ATTEMPTS, never follows a redirect, times out, and redelivers on request", async () => {
    const organizer = await createViewer(ds);
    const et = await createEventType(ds, { userId: organizer.user.id });
    const hook = async (path: string, behaviours: Parameters<WebhookReceiver["on"]>[1]) => {
      receiver.on(path, behaviours);
      return addWebhook(ds, receiver, { path, userId: organizer.user.id, triggers: ["BOOKING_CREATED"] });
    };
    const flaky = await hook("/r/flaky", [500, 503, 200]);
    const down = await hook("/r/down", [500]);
    const redirect = await hook("/r/redirect", [{ status: 302, headers: { location: `${receiver.url}/r/target` } }]);
    const slow = await hook("/r/slow", ["hang", 200]);
    await book(organizer.key, et.id, "2033-04-01T10:00:00Z", organizer.user.email);

    const settled = async (id: string) =>
      until(
        `delivery of ${id} settled`,
        async () => {
          const [d] = await deliveries(ds, id);
          return d && d.status !== "PENDING" ? d : undefined;
        },
        20_000,
      );
    const f = await settled(flaky);
    expect(f).toMatchObject({ status: "DELIVERED", attempts: 3, lastStatusCode: 200, lastError: null });
    const tries = receiver.at("/r/flaky");
    expect(tries).toHaveLength(3);
    expect(new Set(tries.map((t) => t.headers["webhook-id"])).size).toBe(1); // one delivery, one id
    expect(new Set(tries.map((t) => t.headers["webhook-timestamp"])).size).toBeGreaterThanOrEqual(1);
    const gap1 = tries[1].at - tries[0].at;
    const gap2 = tries[2].at - tries[1].at;
    // The schedule, as the worker logged it: base × 2^(n−1) plus at most 20% jitter.
    const scheduled = gw.logLines
      .filter((l) => l.msg === "webhook attempt" && l.webhookId === flaky && l.result === "retry")
      .map((l) => l.nextAttemptInMs as number);
    expect(scheduled).toHaveLength(2);
    expect(scheduled[0]).toBeGreaterThanOrEqual(100);
    expect(scheduled[0]).toBeLessThanOrEqual(120);
    expect(scheduled[1]).toBeGreaterThanOrEqual(200);
    expect(scheduled[1]).toBeLessThanOrEqual(240);
    // Never early; and woken when due rather than at graphile-worker's next poll (every 2 s). The
    // margin covers recording, waking and sending on a loaded machine (a CI run measured 882 ms for a
    // 240 ms wait with a 300 ms margin); a retry left to the poll lands anywhere up to 2 s late.
    expect(gap1).toBeGreaterThanOrEqual(scheduled[0]);
    expect(gap2).toBeGreaterThanOrEqual(scheduled[1]);
    expect(gap1).toBeLessThan(scheduled[0] + 1_000);
    expect(gap2).toBeLessThan(scheduled[1] + 1_000);

    const d = await settled(down);
    expect(d).toMatchObject({ status: "FAILED", attempts: 3, lastStatusCode: 500, lastError: "HTTP 500" });
    expect(receiver.at("/r/down")).toHaveLength(3);

    const r = await settled(redirect);
    expect(r).toMatchObject({ status: "FAILED", attempts: 3, lastStatusCode: 302 });
    expect(receiver.at("/r/target")).toHaveLength(0);

    const s = await settled(slow);
    expect(s).toMatchObject({ status: "DELIVERED", attempts: 2 });
    expect(gw.logLines.find((l) => l.msg === "webhook attempt" && l.webhookId === slow && l.result === "retry")).toMatchObject({
      statusCode: null,
      error: expect.stringContaining("no answer within 1000 ms"),
    });

    // Redelivery: attempts back at zero, the same delivery id, answered PENDING.
    receiver.on("/r/down", [200]);
    const res = await gw.gql<{ redeliverWebhook: { id: string; status: string; attempts: number } }>(
      `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id status attempts lastStatusCode } }`,
      { id: d.id },
      organizer.key,
    );
    expect(res.body.data?.redeliverWebhook).toMatchObject({ id: d.id, status: "PENDING", attempts: 0 });
    expect(await settled(down)).toMatchObject({ status: "DELIVERED", attempts: 1, lastStatusCode: 200 });
    const downs = receiver.at("/r/down");
    expect(downs).toHaveLength(4);
    expect(downs[3].headers["webhook-id"]).toBe(d.id);
    expect(await (await fetch(`${gw.url}/metrics`)).text()).toMatch(
      /gateway_webhook_deliveries_total\{trigger="BOOKING_CREATED",result="failed"\} [1-9]/,
    );
  });

  it("keeps delivering after its database connections are killed", async () => {
    const organizer = await createViewer(ds);
    await addWebhook(ds, receiver, { path: "/killed", userId: organizer.user.id, triggers: ["BOOKING_CREATED"] });
    const et = await createEventType(ds, { userId: organizer.user.id });
    const admin = new PgClient({ connectionString: urlForDatabase(gw.databaseName) });
    await admin.connect();
    try {
      const killed = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'calcom-graphql-gateway-webhooks'`,
      );
      expect(killed.rowCount).toBeGreaterThan(0); // its LISTEN connection at least
    } finally {
      await admin.end();
    }
    await book(organizer.key, et.id, "2033-04-02T10:00:00Z", organizer.user.email);
    await until("delivered after the kill", () => receiver.at("/killed").length || undefined, 20_000);
    expect(gw.logLines.some((l) => l.level === "error" && /uncaught|unhandled/i.test(String(l.msg)))).toBe(false);
  });

  it("the delivery log: newest first, paged, for the webhook's user, team admins and system admins only (NOT_FOUND for anyone else)", async () => {
    const organizer = await createViewer(ds);
    const stranger = await createViewer(ds);
    const sysadmin = await createViewer(ds, { role: "ADMIN" as never });
    const teamAdmin = await createViewer(ds);
    const team = await createTeam(ds);
    await addMember(ds, team, teamAdmin.user, MembershipRole.ADMIN);
    const member = await createViewer(ds);
    await addMember(ds, team, member.user, MembershipRole.MEMBER);
    const et = await createEventType(ds, { userId: organizer.user.id });
    const hook = await addWebhook(ds, receiver, {
      path: "/log",
      userId: organizer.user.id,
      triggers: ["BOOKING_CREATED", "BOOKING_CANCELLED"],
    });
    const teamHook = await addWebhook(ds, receiver, { path: "/log-team", teamId: team.id });
    const made = (await book(organizer.key, et.id, "2033-05-01T10:00:00Z", organizer.user.email)).body.data!.createBooking;
    await gw.gql(`mutation { cancelBooking(id: ${made.id}) { id } }`, {}, organizer.key);
    await until(
      "both delivered",
      async () =>
        ((await deliveries(ds, hook)).every((x) => x.status === "DELIVERED") && (await deliveries(ds, hook)).length === 2) || undefined,
      10_000,
    );

    type Delivery = {
      id: string;
      eventId: string;
      trigger: string;
      status: string;
      attempts: number;
      lastStatusCode: number | null;
      lastError: string | null;
      nextAttemptAt: string | null;
      createdAt: string;
      deliveredAt: string | null;
    };
    type Page = { webhookDeliveries: { nodes: Delivery[]; endCursor: string; hasNextPage: boolean } };
    const p1 = await gw.gql<Page>(LOG, { id: hook, first: 1 }, organizer.key);
    expect(p1.body.errors).toBeUndefined();
    expect(p1.body.data!.webhookDeliveries.nodes).toEqual([
      expect.objectContaining({
        trigger: "BOOKING_CANCELLED",
        status: "DELIVERED",
        attempts: 1,
        lastStatusCode: 200,
        lastError: null,
        nextAttemptAt: null,
        deliveredAt: expect.any(String),
      }),
    ]);
    expect(p1.body.data!.webhookDeliveries.hasNextPage).toBe(true);
    const p2 = await gw.gql<Page>(LOG, { id: hook, first: 1, after: p1.body.data!.webhookDeliveries.endCursor }, organizer.key);
    expect(p2.body.data!.webhookDeliveries.nodes.map((n) => n.trigger)).toEqual(["BOOKING_CREATED"]);
    expect(p2.body.data!.webhookDeliveries.hasNextPage).toBe(false);

    // eventId is the BookingEvent.id of the change (the feed names the same id).
    const feed = await gw.gql<{ bookingEvents: { nodes: Array<{ id: string; type: string }> } }>(
      `query($f: BookingEventFilter) { bookingEvents(filter: $f, first: 10) { nodes { id type } } }`,
      { f: { bookingIds: [made.id] } },
      organizer.key,
    );
    expect(feed.body.data!.bookingEvents.nodes.map((n) => n.id)).toEqual([
      p2.body.data!.webhookDeliveries.nodes[0].eventId,
      p1.body.data!.webhookDeliveries.nodes[0].eventId,
    ]);

    expect((await gw.gql<Page>(LOG, { id: hook }, sysadmin.key)).body.data!.webhookDeliveries.nodes).toHaveLength(2);
    // An organization admin (admin API enabled) administers webhooks of its members' event types.
    const org = await createTeam(ds, { isOrganization: true, adminApiEnabled: true });
    const orgAdmin = await createViewer(ds);
    await addMember(ds, org, orgAdmin.user, MembershipRole.ADMIN);
    const orgMember = await createViewer(ds);
    await addMember(ds, org, orgMember.user);
    const memberType = await createEventType(ds, { userId: orgMember.user.id });
    const memberTypeHook = await addWebhook(ds, receiver, { path: "/log-org", eventTypeId: memberType.id });
    expect((await gw.gql<Page>(LOG, { id: memberTypeHook }, orgAdmin.key)).body.errors).toBeUndefined();
    expect(onlyError(await gw.gql(LOG, { id: memberTypeHook }, stranger.key)).extensions?.code).toBe("NOT_FOUND");
    expect((await gw.gql<Page>(LOG, { id: teamHook }, teamAdmin.key)).body.errors).toBeUndefined();
    for (const [key, id] of [
      [stranger.key, hook],
      [teamAdmin.key, hook],
      [member.key, teamHook],
      [organizer.key, randomUUID()],
    ] as const) {
      const e = onlyError(await gw.gql(LOG, { id }, key));
      expect(e.extensions?.code).toBe("NOT_FOUND");
    }
    const redeliver = `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }`;
    const deliveryId = p1.body.data!.webhookDeliveries.nodes[0].id;
    expect(onlyError(await gw.gql(redeliver, { id: deliveryId }, stranger.key)).extensions?.code).toBe("NOT_FOUND");
    expect(onlyError(await gw.gql(redeliver, { id: "999999999" }, organizer.key)).extensions?.code).toBe("NOT_FOUND");
    expect(onlyError(await gw.gql(LOG, { id: hook, first: 0 }, organizer.key)).extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "first",
    });
    expect(onlyError(await gw.gql(LOG, { id: hook, after: "nope" }, organizer.key)).extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "after",
    });
    expect((await gw.gql(LOG, { id: hook })).status).toBe(401);
  });
});

describe("webhooks: address blocking", () => {
  it("WEBHOOK_BLOCK_PRIVATE_ADDRESSES refuses loopback subscribers, by address and by name, without sending", async () => {
    const receiver = await startWebhookReceiver();
    const gw = await startTestGateway({ env: { ...FAST, WEBHOOK_BLOCK_PRIVATE_ADDRESSES: "true" } });
    try {
      const ds = gw.dataSource;
      const organizer = await createViewer(ds);
      const byAddress = await addWebhook(ds, receiver, { path: "/blocked", userId: organizer.user.id, triggers: ["BOOKING_CREATED"] });
      const byName = randomUUID();
      await ds.query(
        `INSERT INTO "Webhook" (id, "userId", "subscriberUrl", "eventTriggers") VALUES ($1, $2, $3, ARRAY['BOOKING_CREATED']::"WebhookTriggerEvents"[])`,
        [byName, organizer.user.id, receiver.url.replace("127.0.0.1", "localhost") + "/blocked-name"],
      );
      const et = await createEventType(ds, { userId: organizer.user.id });
      await gw.gql(
        `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id } }`,
        {
          in: { eventTypeId: et.id, start: "2033-06-01T10:00:00Z", timeZone: "UTC", responses: { name: "B", email: organizer.user.email } },
        },
        organizer.key,
      );
      for (const id of [byAddress, byName]) {
        const d = await until(
          "refused",
          async () => {
            const [row] = await deliveries(ds, id);
            return row && row.status !== "PENDING" ? row : undefined;
          },
          10_000,
        );
        expect(d).toMatchObject({
          status: "FAILED",
          attempts: 1,
          lastStatusCode: null,
          lastError: expect.stringContaining("private or reserved address"),
        });
      }
      expect(receiver.received).toHaveLength(0);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });
});

describe("webhooks: several instances and killed processes", () => {
  let name: string;
  let receiver: WebhookReceiver;
  /** Reads and writes the database; delivers nothing (WEBHOOK_CONCURRENCY=0). */
  let db: TestGateway;
  const children: GatewayProcess[] = [];

  beforeAll(async () => {
    name = await createTestDatabase();
    receiver = await startWebhookReceiver();
    db = await startTestGateway({ databaseName: name, env: { ...FAST, WEBHOOK_CONCURRENCY: "0" } });
  });
  afterAll(async () => {
    for (const c of children) await c.stop("SIGKILL");
    await db.close();
    await receiver.close();
    await dropTestDatabase(name);
  });

  const createVia = (via: TestGateway, key: string, eventTypeId: number, start: string, email: string) =>
    via.gql<{ createBooking: { id: number } }>(
      `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id } }`,
      {
        in: { eventTypeId, start, timeZone: "UTC", responses: { name: "B", email } },
      },
      key,
    );
  const settledRow = (ds: DataSource, hook: string) =>
    until(
      "the delivery settled",
      async () => {
        const rows = await deliveries(ds, hook);
        return rows[0] && rows[0].status !== "PENDING" ? rows[0] : undefined;
      },
      30_000,
    );

  it("two instances never send the same first attempt twice", async () => {
    const one = await startTestGateway({ databaseName: name, env: FAST });
    const two = await startTestGateway({ databaseName: name, env: FAST });
    try {
      const ds = db.dataSource;
      const organizer = await createViewer(ds);
      await addWebhook(ds, receiver, { path: "/pair", userId: organizer.user.id, triggers: ["BOOKING_CREATED"] });
      const et = await createEventType(ds, { userId: organizer.user.id, length: 15 });
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => {
          const start = new Date(Date.UTC(2033, 6, 1, 8) + i * 15 * 60_000).toISOString();
          return createVia(i % 2 ? one : two, organizer.key, et.id, start, organizer.user.email);
        }),
      );
      await until("30 deliveries", () => receiver.at("/pair").length >= 30 || undefined, 15_000);
      await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive now
      const ids = receiver.at("/pair").map((r: Received) => r.headers["webhook-id"]);
      expect(ids).toHaveLength(30);
      expect(new Set(ids).size).toBe(30);
      const attempts = [...one.logLines, ...two.logLines].filter((l) => l.msg === "webhook attempt");
      expect(attempts).toHaveLength(30);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it("the sweeper queues again a delivery whose job a dead process holds, or that a redelivery could not queue", async () => {
    const ds = db.dataSource;
    const organizer = await createViewer(ds);
    const et = await createEventType(ds, { userId: organizer.user.id });
    const hook = await addWebhook(ds, receiver, { path: "/swept", userId: organizer.user.id, triggers: ["BOOKING_CREATED"] });
    await createVia(db, organizer.key, et.id, "2033-09-01T10:00:00Z", organizer.user.email); // queued only (WEBHOOK_CONCURRENCY=0)
    const [queued] = await deliveries(ds, hook);
    // As a worker that took the job and died before its claim leaves it: locked, for hours.
    await ds.query(
      `UPDATE gateway_worker._private_jobs SET locked_at = now() - interval '5 minutes', locked_by = 'dead-worker' WHERE key = $1`,
      [`webhook-delivery:${queued.id}`],
    );
    await ds.query(`UPDATE gateway.webhook_deliveries SET next_attempt_at = next_attempt_at - interval '5 minutes' WHERE id = $1`, [
      queued.id,
    ]);
    // No worker runs on this database now (db only queues): the job stays where the dead one left it.
    const pool = new Pool({ connectionString: urlForDatabase(name), max: 1 });
    try {
      expect(await sweepOverdueDeliveries(pool)).toBe(1);
      expect(await sweepOverdueDeliveries(pool)).toBe(0); // a live job now: nothing twice
    } finally {
      await pool.end();
    }
    const worker = await startTestGateway({ databaseName: name, env: FAST });
    try {
      expect(await settledRow(ds, hook)).toMatchObject({ status: "DELIVERED", attempts: 1 });
      expect(receiver.at("/swept")).toHaveLength(1);
    } finally {
      await worker.close();
    }
  });

  it("a process killed after the commit delivers after restart: before the attempt began, and during it", async () => {
    const ds = db.dataSource;
    const organizer = await createViewer(ds);
    const et = await createEventType(ds, { userId: organizer.user.id });
    const env = { DATABASE_URL: urlForDatabase(name), DB_MIGRATIONS: "off", LOG_LEVEL: "warn", NODE_ENV: "test", ...FAST };
    const hook = await addWebhook(ds, receiver, { path: "/crash", userId: organizer.user.id, triggers: ["BOOKING_CREATED"] });
    receiver.on("/crash-mid", ["hang", 200]);
    const mid = await addWebhook(ds, receiver, { path: "/crash-mid", userId: organizer.user.id, triggers: ["BOOKING_CANCELLED"] });

    // Killed between the commit and the first attempt: no instance delivers meanwhile.
    const first = await startGatewayProcess({ env: { ...env, WEBHOOK_CONCURRENCY: "0" } });
    children.push(first);
    const res = await first.gql<{ createBooking: { id: number } }>(
      `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id } }`,
      {
        in: { eventTypeId: et.id, start: "2033-08-01T10:00:00Z", timeZone: "UTC", responses: { name: "B", email: organizer.user.email } },
      },
      organizer.key,
    );
    expect(res.body.errors).toBeUndefined();
    await first.stop("SIGKILL");
    expect(await deliveries(ds, hook)).toEqual([expect.objectContaining({ status: "PENDING", attempts: 0 })]);
    expect(receiver.at("/crash")).toHaveLength(0);

    const restarted = await startGatewayProcess({ env: { ...env, WEBHOOK_CONCURRENCY: "1" } });
    children.push(restarted);
    expect(await settledRow(ds, hook)).toMatchObject({ status: "DELIVERED", attempts: 1 });
    expect(receiver.at("/crash")).toHaveLength(1);

    // Killed during an attempt: the subscriber holds the request, the process dies; after restart
    // the next attempt is made once the dead attempt's deadline has passed.
    await db.gql(`mutation { cancelBooking(id: ${res.body.data!.createBooking.id}) { id } }`, {}, organizer.key);
    await until("the first attempt arrives", () => receiver.at("/crash-mid").length >= 1 || undefined, 10_000);
    await restarted.stop("SIGKILL");
    const again = await startGatewayProcess({ env: { ...env, WEBHOOK_CONCURRENCY: "1" } });
    children.push(again);
    expect(await settledRow(ds, mid)).toMatchObject({ status: "DELIVERED", attempts: 2 });
    const both = receiver.at("/crash-mid");
    expect(both).toHaveLength(2);
    expect(both[0].headers["webhook-id"]).toBe(both[1].headers["webhook-id"]);
  }, 90_000);
});
