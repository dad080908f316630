import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from "jose";
import type { DataSource } from "typeorm";
import { BookingTokens } from "../src/auth/booking-token";
import { ConfigError, loadConfig } from "../src/config";
import { createBooking, createEventType, createUser, createViewer } from "./support/factories";
import { createTestDatabase, dropTestDatabase, onlyError, startTestGateway, type GqlResponse, type TestGateway } from "./support/harness";

/**
 * Browser access (contract "Browser access") over real HTTP on real Postgres: JWTs (HS256 with the
 * secret, RS256 from a real JWKS server on 127.0.0.1 with key rotation) and every way one can be
 * wrong; a JWT viewer answered exactly as that user's API key; public booking without a credential
 * and its own per-IP budget; booking tokens for one booking only; CORS exposure.
 */

const JWT_SECRET = "test-jwt-secret-that-is-long-enough";
const TOKEN_SECRET = "booking-token-secret-0123456789";
const now = () => Math.floor(Date.now() / 1000);
const hs = (claims: Record<string, unknown>, secret = JWT_SECRET, header: Record<string, unknown> = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg: "HS256", ...header }).sign(new TextEncoder().encode(secret));

/** A JWKS server on 127.0.0.1 whose key set can change (rotation). */
async function startJwks() {
  let keys: JWK[] = [];
  let fetches = 0;
  const server = http.createServer((_req, res) => {
    fetches += 1;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    set: (next: JWK[]) => (keys = next),
    get fetches() {
      return fetches;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function rsaKey(kid: string): Promise<{ kid: string; privateKey: KeyLike; jwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

const code = (res: GqlResponse) => onlyError(res).extensions?.code;

describe("browser access", () => {
  let name: string;
  let gw: TestGateway;
  let ds: DataSource;
  let jwks: Awaited<ReturnType<typeof startJwks>>;
  let rsaGw: TestGateway;

  beforeAll(async () => {
    name = await createTestDatabase();
    jwks = await startJwks();
    gw = await startTestGateway({
      databaseName: name,
      env: { JWT_SECRET, PUBLIC_BOOKING: "true", BOOKING_TOKEN_SECRET: TOKEN_SECRET, PUBLIC_RATE_LIMIT_PER_MINUTE: "10000" },
    });
    rsaGw = await startTestGateway({
      databaseName: name,
      env: { JWT_JWKS_URL: jwks.url, JWT_ISSUER: "https://app.example", JWT_AUDIENCE: "calcom-gateway" },
    });
    ds = gw.dataSource;
  });
  afterAll(async () => {
    await gw.close();
    await rsaGw.close();
    await jwks.close();
    await dropTestDatabase(name);
  });

  /** POST with an arbitrary Authorization header (or none). */
  const post = async (target: TestGateway, query: string, variables: Record<string, unknown> = {}, authorization?: string) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (authorization !== undefined) headers.authorization = authorization;
    const res = await fetch(`${target.url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as GqlResponse["body"] };
  };
  const bearer = (t: string) => `Bearer ${t}`;

  describe("JWT", () => {
    it("HS256: a valid JWT is its user; each wrong one is refused with its code", async () => {
      const { user } = await createViewer(ds);
      const locked = await createUser(ds, { locked: true });
      const me = `{ me { id email } }`;
      const ok = await post(gw, me, {}, bearer(await hs({ sub: String(user.id), exp: now() + 300 })));
      expect(ok.status).toBe(200);
      expect(ok.body.data).toEqual({ me: { id: user.id, email: user.email } });

      const cases: Array<[string, string, number, string]> = [
        ["expired", await hs({ sub: String(user.id), exp: now() - 120 }), 401, "UNAUTHENTICATED"],
        ["expired within the clock tolerance is still valid", await hs({ sub: String(user.id), exp: now() - 5 }), 200, ""],
        ["not yet valid", await hs({ sub: String(user.id), exp: now() + 600, nbf: now() + 300 }), 401, "UNAUTHENTICATED"],
        ["issued in the future", await hs({ sub: String(user.id), exp: now() + 600, iat: now() + 300 }), 401, "UNAUTHENTICATED"],
        ["without exp", await hs({ sub: String(user.id) }), 401, "UNAUTHENTICATED"],
        ["another secret", await hs({ sub: String(user.id), exp: now() + 300 }, "another-secret-entirely-000000"), 401, "UNAUTHENTICATED"],
        ["unknown user", await hs({ sub: "987654321", exp: now() + 300 }), 401, "UNAUTHENTICATED"],
        ["sub not a decimal id", await hs({ sub: "user-1", exp: now() + 300 }), 401, "UNAUTHENTICATED"],
        ["locked user", await hs({ sub: String(locked.id), exp: now() + 300 }), 200, "FORBIDDEN"], // FORBIDDEN is HTTP 200 (error contract)
      ];
      // alg none: a JWT with no signature, and a tampered payload on a valid signature.
      const body = (claims: object) => Buffer.from(JSON.stringify(claims)).toString("base64url");
      cases.push([
        "alg none",
        `${body({ alg: "none", typ: "JWT" })}.${body({ sub: String(user.id), exp: now() + 300 })}.`,
        401,
        "UNAUTHENTICATED",
      ]);
      const [h, , s] = (await hs({ sub: String(user.id), exp: now() + 300 })).split(".");
      cases.push([
        "tampered payload",
        `${h}.${body({ sub: String(locked.id === user.id ? 1 : user.id + 1), exp: now() + 300 })}.${s}`,
        401,
        "UNAUTHENTICATED",
      ]);
      for (const [label, token, status, expected] of cases) {
        const res = await post(gw, me, {}, bearer(token));
        expect({ label, status: res.status, code: res.body.errors?.[0]?.extensions?.code ?? "" }).toEqual({
          label,
          status,
          code: expected,
        });
      }
    });

    it("RS256 from a JWKS URL, with issuer and audience checked, and a rotated key (new kid) fetched", async () => {
      const { user } = await createViewer(ds);
      const first = await rsaKey("key-1");
      jwks.set([first.jwk]);
      const sign = (key: { kid: string; privateKey: KeyLike }, claims: Record<string, unknown>) =>
        new SignJWT({ exp: now() + 300, ...claims }).setProtectedHeader({ alg: "RS256", kid: key.kid }).sign(key.privateKey);
      const claims = { sub: String(user.id), iss: "https://app.example", aud: "calcom-gateway" };
      expect((await post(rsaGw, `{ me { id } }`, {}, bearer(await sign(first, claims)))).body.data).toEqual({ me: { id: user.id } });
      for (const wrong of [{ ...claims, iss: "https://evil.example" }, { ...claims, aud: "someone-else" }, { sub: String(user.id) }]) {
        expect(code(await post(rsaGw, `{ me { id } }`, {}, bearer(await sign(first, wrong))))).toBe("UNAUTHENTICATED");
      }
      // HS256 is not configured on this gateway: refused even with a key that would verify elsewhere.
      expect(code(await post(rsaGw, `{ me { id } }`, {}, bearer(await hs({ ...claims, exp: now() + 300 }))))).toBe("UNAUTHENTICATED");

      // Rotation: the issuer publishes key-2 and signs with it; the gateway fetches the set again.
      const second = await rsaKey("key-2");
      jwks.set([first.jwk, second.jwk]);
      const before = jwks.fetches;
      await new Promise((r) => setTimeout(r, 1_100)); // jose's cool-down between fetches
      expect((await post(rsaGw, `{ me { id } }`, {}, bearer(await sign(second, claims)))).body.data).toEqual({ me: { id: user.id } });
      expect(jwks.fetches).toBeGreaterThan(before);
      // A key the issuer withdrew no longer verifies once the set is fetched again.
      const stranger = await rsaKey("key-3");
      expect(code(await post(rsaGw, `{ me { id } }`, {}, bearer(await sign(stranger, claims))))).toBe("UNAUTHENTICATED");
    });

    it("JWT_USER_ID_CLAIM: only that claim names the user (no fallback to sub)", async () => {
      const other = await startTestGateway({
        databaseName: name,
        env: { JWT_SECRET, JWT_USER_ID_CLAIM: "https://app.example/calcom_user_id" },
      });
      try {
        const { user } = await createViewer(ds);
        const claim = "https://app.example/calcom_user_id";
        expect(
          (await post(other, `{ me { id } }`, {}, bearer(await hs({ [claim]: user.id, sub: "ignored", exp: now() + 300 })))).body.data,
        ).toEqual({ me: { id: user.id } });
        expect(code(await post(other, `{ me { id } }`, {}, bearer(await hs({ sub: String(user.id), exp: now() + 300 }))))).toBe(
          "UNAUTHENTICATED",
        );
      } finally {
        await other.close();
      }
    });

    it("a JWT viewer gets exactly the answers of that user's API key", async () => {
      const { user, key } = await createViewer(ds);
      const et = await createEventType(ds, { userId: user.id, slug: "jwt-same" });
      const booking = await createBooking(ds, {
        userId: user.id,
        eventTypeId: et.id,
        startTime: new Date("2034-01-02T10:00:00Z"),
        endTime: new Date("2034-01-02T10:30:00Z"),
      });
      const otherUser = await createViewer(ds);
      const theirs = await createBooking(ds, {
        userId: otherUser.user.id,
        startTime: new Date("2034-01-03T10:00:00Z"),
        endTime: new Date("2034-01-03T10:30:00Z"),
      });
      const jwt = await hs({ sub: String(user.id), exp: now() + 300 });
      const corpus: Array<[string, Record<string, unknown>]> = [
        [`{ me { id username email role } }`, {}],
        [`{ bookings(take: 10) { nodes { id uid status user { id } attendees { email } } totalCount } }`, {}],
        [`query($id: Int!) { booking(id: $id) { id title manageToken eventType { slug } } }`, { id: booking.id }],
        [`query($id: Int!) { booking(id: $id) { id } }`, { id: theirs.id }],
        [`query($u: Int!) { eventTypes(userId: $u) { id slug hidden owner { id email } } }`, { u: user.id }],
        [`{ bookingsConnection(first: 5) { edges { node { id } } pageInfo { hasNextPage } } }`, {}],
        [`{ bookings(userIds: [1]) { nodes { id } } }`, {}],
      ];
      for (const [query, variables] of corpus) {
        const byKey = await post(gw, query, variables, bearer(key));
        const byJwt = await post(gw, query, variables, bearer(jwt));
        expect({ query, status: byJwt.status, body: byJwt.body }).toEqual({ query, status: byKey.status, body: byKey.body });
      }
    });
  });

  describe("public booking and booking tokens", () => {
    it("without a credential: public event types, slots and createBooking only; hidden ones invisible; everything else 401", async () => {
      const { user } = await createViewer(ds, { username: `pub-${Date.now()}` });
      const open = await createEventType(ds, { userId: user.id, slug: "open", length: 30 });
      const hidden = await createEventType(ds, { userId: user.id, slug: "secret", hidden: true, length: 30 });
      const list = await post(gw, `query($u: Int!) { eventTypes(userId: $u) { id slug owner { id username email } } }`, { u: user.id });
      expect(list.body.data).toEqual({
        eventTypes: [{ id: open.id, slug: "open", owner: { id: user.id, username: user.username, email: "" } }],
      });
      const missing = onlyError(await post(gw, `{ eventType(id: 99999999) { id } }`));
      const hiddenOne = onlyError(await post(gw, `query($id: Int!) { eventType(id: $id) { id } }`, { id: hidden.id }));
      expect(hiddenOne.extensions?.code).toBe("NOT_FOUND");
      expect(hiddenOne.message.replace(String(hidden.id), "N")).toBe(missing.message.replace("99999999", "N")); // no existence leak
      const bySlug = await post(gw, `query($u: String!) { eventType(username: $u, slug: "open") { id } }`, { u: user.username });
      expect(bySlug.body.data).toEqual({ eventType: { id: open.id } });
      const slots = await post(
        gw,
        `query($id: Int!) { slots(eventTypeId: $id, from: "2034-02-06T00:00:00Z", to: "2034-02-07T00:00:00Z", timeZone: "UTC") { date slots { start } } }`,
        { id: open.id },
      );
      expect(slots.body.errors).toBeUndefined();
      const start = slots.body.data!.slots[0].slots[0].start as string;
      expect(
        code(
          await post(
            gw,
            `query($id: Int!) { slots(eventTypeId: $id, from: "2034-02-06T00:00:00Z", to: "2034-02-07T00:00:00Z", timeZone: "UTC") { date } }`,
            { id: hidden.id },
          ),
        ),
      ).toBe("NOT_FOUND");

      const make = (eventTypeId: number, at: string) =>
        post(gw, `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id uid status manageToken } }`, {
          in: { eventTypeId, start: at, timeZone: "UTC", responses: { name: "Pat Public", email: "pat@example.org" } },
        });
      const made = await make(open.id, start);
      expect(made.body.errors).toBeUndefined();
      expect(made.body.data!.createBooking).toMatchObject({ status: "ACCEPTED", manageToken: expect.stringMatching(/^bk_/) });
      expect(code(await make(hidden.id, start))).toBe("NOT_FOUND");

      const id = made.body.data!.createBooking.id as number;
      for (const q of [
        `{ me { id } }`,
        `{ bookings { nodes { id } } }`,
        `{ booking(id: ${id}) { id } }`,
        `{ bookingsConnection { edges { node { id } } } }`,
        `{ bookingEvents { nodes { id } } }`,
        `{ webhookDeliveries(webhookId: "x") { nodes { id } } }`,
        `mutation { cancelBooking(id: ${id}) { id } }`,
        `mutation { updateBooking(id: ${id}, input: { title: "x" }) { id } }`,
        `mutation { confirmBooking(id: ${id}) { id } }`,
        `mutation { rescheduleBooking(id: ${id}, start: "2034-02-06T12:00:00Z") { id } }`,
        `{ eventTypes(userId: ${user.id}) { id } me { id } }`,
      ]) {
        const res = await post(gw, q);
        expect({ q, status: res.status, code: res.body.errors?.[0]?.extensions?.code }).toEqual({
          q,
          status: 401,
          code: "UNAUTHENTICATED",
        });
      }
      // With PUBLIC_BOOKING off (the default) nothing answers without a credential.
      expect((await post(rsaGw, `query($u: Int!) { eventTypes(userId: $u) { id } }`, { u: user.id })).status).toBe(401);
      // manageToken is null in every other read.
      const { key } = await createViewer(ds, { role: "ADMIN" as never });
      expect((await post(gw, `{ booking(id: ${id}) { manageToken } }`, {}, bearer(key))).body.data).toEqual({
        booking: { manageToken: null },
      });
    });

    it("a booking token reads, cancels and reschedules its booking only; any other booking, list entry or write is refused", async () => {
      const { user, key: organizerKey } = await createViewer(ds);
      const et = await createEventType(ds, { userId: user.id, length: 30 });
      const book = (at: string, email: string) =>
        post(gw, `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id uid manageToken } }`, {
          in: { eventTypeId: et.id, start: at, timeZone: "UTC", responses: { name: "Tok", email } },
        });
      const mine = (await book("2034-03-01T10:00:00Z", "tok@example.org")).body.data!.createBooking;
      const other = (await book("2034-03-01T11:00:00Z", "other@example.org")).body.data!.createBooking;
      const token = bearer(mine.manageToken);

      expect((await post(gw, `{ booking(id: ${mine.id}) { id uid status manageToken } }`, {}, token)).body.data).toEqual({
        booking: { id: mine.id, uid: mine.uid, status: "ACCEPTED", manageToken: null },
      });
      expect(code(await post(gw, `{ booking(id: ${other.id}) { id } }`, {}, token))).toBe("NOT_FOUND");
      expect((await post(gw, `{ bookings { nodes { id } } }`, {}, token)).body.data).toEqual({ bookings: { nodes: [{ id: mine.id }] } });
      expect((await post(gw, `{ bookingsConnection { edges { node { id } } } }`, {}, token)).body.data).toEqual({
        bookingsConnection: { edges: [{ node: { id: mine.id } }] },
      });
      for (const q of [
        `mutation { updateBooking(id: ${mine.id}, input: { title: "x" }) { id } }`,
        `mutation { confirmBooking(id: ${mine.id}) { id } }`,
        `mutation { rejectBooking(id: ${mine.id}) { id } }`,
        `{ me { id } }`,
        `{ bookingEvents { nodes { id } } }`,
        `mutation { createBooking(input: { eventTypeId: ${et.id}, start: "2034-03-02T10:00:00Z", timeZone: "UTC", responses: { name: "T", email: "t@example.org" } }) { id } }`,
      ]) {
        const res = await post(gw, q, {}, token);
        expect({ q, status: res.status, code: res.body.errors?.[0]?.extensions?.code }).toEqual({ q, status: 200, code: "FORBIDDEN" });
      }
      expect(code(await post(gw, `mutation { cancelBooking(id: ${other.id}) { id } }`, {}, token))).toBe("NOT_FOUND");

      // Reschedule: a new booking with a new token; the old token then reads only the old booking.
      const moved = await post(
        gw,
        `mutation { rescheduleBooking(id: ${mine.id}, start: "2034-03-01T14:00:00Z") { id status manageToken rescheduledBy } }`,
        {},
        token,
      );
      expect(moved.body.errors).toBeUndefined();
      const next = moved.body.data!.rescheduleBooking;
      expect(next.manageToken).toMatch(/^bk_/);
      expect(next.manageToken).not.toBe(mine.manageToken);
      expect((await post(gw, `{ booking(id: ${mine.id}) { status rescheduled rescheduledBy } }`, {}, token)).body.data).toEqual({
        booking: { status: "CANCELLED", rescheduled: true, rescheduledBy: "tok@example.org" },
      });
      expect(code(await post(gw, `{ booking(id: ${next.id}) { id } }`, {}, token))).toBe("NOT_FOUND");
      expect(code(await post(gw, `mutation { cancelBooking(id: ${next.id}) { id } }`, {}, token))).toBe("NOT_FOUND");

      // Cancel with the new token: the booker's e-mail is recorded as cancelledBy.
      const cancelled = await post(
        gw,
        `mutation { cancelBooking(id: ${next.id}, cancellationReason: "can't") { status cancelledBy } }`,
        {},
        bearer(next.manageToken),
      );
      expect(cancelled.body.data).toEqual({ cancelBooking: { status: "CANCELLED", cancelledBy: "tok@example.org" } });

      // Tampered, expired, another secret's: UNAUTHENTICATED; a token whose booking is gone: NOT_FOUND.
      const [bodyPart, sig] = other.manageToken.slice(3).split(".");
      const claims = JSON.parse(Buffer.from(bodyPart, "base64url").toString()) as Record<string, unknown>;
      const tampered = `bk_${Buffer.from(JSON.stringify({ ...claims, u: mine.uid })).toString("base64url")}.${sig}`;
      const expired = new BookingTokens(TOKEN_SECRET, 90).issue(other.uid, "other@example.org", new Date(Date.now() - 91 * 86_400_000));
      const foreign = new BookingTokens("some-other-secret-0123456789", 90).issue(other.uid, "other@example.org");
      for (const bad of [tampered, expired, foreign, "bk_nonsense", `${other.manageToken}x`]) {
        const res = await post(gw, `{ booking(id: ${other.id}) { id } }`, {}, bearer(bad));
        expect({ status: res.status, code: res.body.errors?.[0]?.extensions?.code }).toEqual({ status: 401, code: "UNAUTHENTICATED" });
      }
      await ds.query(`DELETE FROM "Attendee" WHERE "bookingId" = $1`, [other.id]);
      await ds.query(`DELETE FROM "Booking" WHERE id = $1`, [other.id]);
      expect(code(await post(gw, `{ bookings { nodes { id } } }`, {}, bearer(other.manageToken)))).toBe("NOT_FOUND");
      // The organizer still reads both with their key.
      expect((await post(gw, `{ booking(id: ${next.id}) { status } }`, {}, bearer(organizerKey))).body.data).toEqual({
        booking: { status: "CANCELLED" },
      });
    });

    it("without an account an idempotencyKey must be a secret (32+ characters), and a repeat is scoped to the booker's e-mail", async () => {
      const { user } = await createViewer(ds);
      const et = await createEventType(ds, { userId: user.id, length: 30 });
      const make = (email: string, idempotencyKey: string, start = "2034-07-01T10:00:00Z") =>
        post(gw, `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id manageToken } }`, {
          in: { eventTypeId: et.id, start, timeZone: "UTC", responses: { name: "K", email }, idempotencyKey },
        });
      expect(onlyError(await make("k@example.org", "short-key")).extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "idempotencyKey",
      });
      const key = "b6a7c1e2-58f4-4c3e-9d0a-7f1e2d3c4b5a";
      const first = (await make("k@example.org", key)).body.data!.createBooking;
      const again = (await make("k@example.org", key)).body.data!.createBooking;
      expect(again.id).toBe(first.id);
      // Another booker with the same key gets their own booking (or SLOT_TAKEN), never the first one.
      const other = await make("someone-else@example.org", key);
      expect(other.body.data?.createBooking?.id ?? onlyError(other).extensions?.reason).not.toBe(first.id);
    });

    it("a public seat join answers with the joiner's own view", async () => {
      const { user } = await createViewer(ds);
      const seated = await createEventType(ds, { userId: user.id, length: 30, seatsPerTimeSlot: 3 });
      const join = (email: string) =>
        post(gw, `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id attendees { email } } }`, {
          in: { eventTypeId: seated.id, start: "2034-07-02T10:00:00Z", timeZone: "UTC", responses: { name: email, email } },
        });
      await join("first-seat@example.org");
      expect((await join("second-seat@example.org")).body.data!.createBooking.attendees).toEqual([{ email: "second-seat@example.org" }]);
    });

    it("a seat holder's token cancels their own seat, not the others'", async () => {
      const { user } = await createViewer(ds);
      const seated = await createEventType(ds, { userId: user.id, length: 30, seatsPerTimeSlot: 3 });
      const join = (email: string) =>
        post(gw, `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id manageToken } }`, {
          in: { eventTypeId: seated.id, start: "2034-04-01T10:00:00Z", timeZone: "UTC", responses: { name: email, email } },
        });
      const a = (await join("seat-a@example.org")).body.data!.createBooking;
      const b = (await join("seat-b@example.org")).body.data!.createBooking;
      expect(b.id).toBe(a.id);
      const left = await post(gw, `mutation { cancelBooking(id: ${b.id}) { status attendees { email } } }`, {}, bearer(b.manageToken));
      expect(left.body.errors).toBeUndefined();
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM "Attendee" WHERE "bookingId" = $1`, [a.id]);
      expect(n).toBe(1);
      expect((await ds.query(`SELECT status FROM "Booking" WHERE id = $1`, [a.id]))[0].status).toBe("accepted");
    });

    it("requests without a credential or with a booking token share a per-IP budget of their own", async () => {
      const limited = await startTestGateway({
        databaseName: name,
        env: { PUBLIC_BOOKING: "true", PUBLIC_RATE_LIMIT_PER_MINUTE: "3", RATE_LIMIT_PER_MINUTE: "100" },
      });
      try {
        const { user, key } = await createViewer(ds);
        const q = `query($u: Int!) { eventTypes(userId: $u) { id } }`;
        const statuses: number[] = [];
        for (let i = 0; i < 3; i += 1) statuses.push((await post(limited, q, { u: user.id })).status);
        const refused = await post(limited, q, { u: user.id });
        expect([...statuses, refused.status]).toEqual([200, 200, 200, 429]);
        expect(refused.headers.get("ratelimit-limit")).toBe("3");
        expect(refused.headers.get("retry-after")).toBeTruthy();
        // A keyed request from the same IP has its own budget.
        expect((await post(limited, q, { u: user.id }, bearer(key))).status).toBe(200);
        // A booking token counts against the public budget (spent here).
        const token = new BookingTokens(undefined, 1).issue("x", "y"); // another process's secret: refused, still counted
        expect((await post(limited, `{ bookings { nodes { id } } }`, {}, bearer(token))).status).toBe(429);
      } finally {
        await limited.close();
      }
    });

    (process.env.REDIS_URL ? it : it.skip)("two instances share the public budget through Redis (REDIS_URL)", async () => {
      const env = { PUBLIC_BOOKING: "true", PUBLIC_RATE_LIMIT_PER_MINUTE: "3", REDIS_URL: process.env.REDIS_URL! };
      const a = await startTestGateway({ databaseName: name, env });
      const b = await startTestGateway({ databaseName: name, env });
      try {
        const { user } = await createViewer(ds);
        const q = `query($u: Int!) { eventTypes(userId: $u) { id } }`;
        const statuses = [
          (await post(a, q, { u: user.id })).status,
          (await post(b, q, { u: user.id })).status,
          (await post(a, q, { u: user.id })).status,
        ];
        expect([...statuses, (await post(b, q, { u: user.id })).status]).toEqual([200, 200, 200, 429]);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("TRUST_PROXY: the client is the X-Forwarded-For entry the proxy appended; without it the header is ignored", async () => {
      const env = { PUBLIC_BOOKING: "true", PUBLIC_RATE_LIMIT_PER_MINUTE: "1" };
      const proxied = await startTestGateway({ databaseName: name, env: { ...env, TRUST_PROXY: "true" } });
      const direct = await startTestGateway({ databaseName: name, env });
      try {
        const { user } = await createViewer(ds);
        const ask = async (target: TestGateway, forwardedFor: string) =>
          (
            await fetch(`${target.url}/graphql`, {
              method: "POST",
              headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor },
              body: JSON.stringify({ query: `{ eventTypes(userId: ${user.id}) { id } }` }),
            })
          ).status;
        // Behind the proxy, two clients have a budget each; a forged left-most entry does not count.
        expect([
          await ask(proxied, "203.0.113.7"),
          await ask(proxied, "203.0.113.8"),
          await ask(proxied, "198.51.100.1, 203.0.113.7"),
        ]).toEqual([200, 200, 429]);
        // Without TRUST_PROXY every request is the socket's address: one budget.
        expect([await ask(direct, "203.0.113.7"), await ask(direct, "203.0.113.8")]).toEqual([200, 429]);
      } finally {
        await proxied.close();
        await direct.close();
      }
    });

    it("subscriptions stay for users: no credential, or a booking token, closes the socket with 4403", async () => {
      const { createClient } = await import("graphql-ws");
      const WebSocket = (await import("ws")).default;
      const made = await post(gw, `mutation($in: CreateBookingInput!) { createBooking(input: $in) { manageToken } }`, {
        in: {
          eventTypeId: (await createEventType(ds, { userId: (await createViewer(ds)).user.id })).id,
          start: "2034-06-01T10:00:00Z",
          timeZone: "UTC",
          responses: { name: "W", email: "w@example.org" },
        },
      });
      for (const authorization of [undefined, `Bearer ${made.body.data!.createBooking.manageToken}`]) {
        const closed = await new Promise<number>((resolve) => {
          const client = createClient({
            url: gw.url.replace("http://", "ws://") + "/graphql",
            webSocketImpl: WebSocket,
            retryAttempts: 0,
            lazy: true,
            connectionParams: authorization ? { authorization } : undefined,
            on: { closed: (e) => resolve((e as { code: number }).code) },
          });
          client.subscribe(
            { query: `subscription { bookingEvents { id } }` },
            { next: () => undefined, error: () => undefined, complete: () => undefined },
          );
        });
        expect(closed).toBe(4403);
      }
    });

    it("CORS exposes the rate-limit and request-id headers to browser code", async () => {
      const res = await fetch(`${gw.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: "https://shop.example" },
        body: JSON.stringify({ query: `{ __typename }` }),
      });
      const exposed = (res.headers.get("access-control-expose-headers") ?? "")
        .toLowerCase()
        .split(",")
        .map((h) => h.trim());
      expect(exposed).toEqual(
        expect.arrayContaining(["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after", "x-request-id"]),
      );
      expect(res.headers.get("access-control-allow-origin")).toBeTruthy();
    });
  });

  it("in production, public booking without BOOKING_TOKEN_SECRET refuses to start, naming it", () => {
    expect(() => loadConfig({ NODE_ENV: "production", PUBLIC_BOOKING: "true" })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: "production", PUBLIC_BOOKING: "true" })).toThrow(/BOOKING_TOKEN_SECRET/);
    expect(loadConfig({ NODE_ENV: "production", PUBLIC_BOOKING: "true", BOOKING_TOKEN_SECRET: TOKEN_SECRET }).browser.publicBooking).toBe(
      true,
    );
    expect(loadConfig({ NODE_ENV: "production" }).browser.publicBooking).toBe(false);
    // In production without a secret no token is issued or accepted (it would not survive a restart).
    expect(loadConfig({ NODE_ENV: "production" }).browser.bookingTokens).toBe(false);
    expect(() => loadConfig({ JWT_SECRET: "short" })).toThrow(/JWT_SECRET must be at least 32 bytes/);
    expect(() => loadConfig({ NODE_ENV: "production", JWT_JWKS_URL: "http://keys.example/jwks.json" })).toThrow(/https/);
  });
});
