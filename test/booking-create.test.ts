import type { DataSource } from "typeorm";
import { bookingSlotKey } from "../src/domain/booking/idempotency";
import { BookingStatus, DestinationCalendar, Host, MembershipRole, UserPermissionRole } from "../src/entities";
import { addMember, createBooking, createEventType, createTeam, createUser, createViewer } from "./support/factories";
import {
  createCalcomManagedDatabase,
  createTestDatabase,
  dropTestDatabase,
  onlyError,
  startTestGateway,
  type TestGateway,
} from "./support/harness";
import { snapshotTables } from "./support/snapshot";

const CREATE = `mutation($input: CreateBookingInput!) {
  createBooking(input: $input) {
    id uid title description status startTime endTime location idempotencyKey iCalUID iCalSequence userId
    userPrimaryEmail eventTypeId responses metadata recurringEventId destinationCalendarId
    attendees { name email timeZone locale } seatsReferences { referenceUid attendeeId }
  }
}`;

const DAY = 86_400_000;
/** A future instant on a 2-hour grid, so tests never collide by accident. */
let slot = 0;
const nextStart = () => new Date(Date.UTC(2031, 0, 1, 8) + (slot += 1) * 2 * 3_600_000);

describe.each([
  ["a migrated database", createTestDatabase],
  ["a Cal.com-managed database (DB_MIGRATIONS=off)", createCalcomManagedDatabase],
])("createBooking on %s", (_label, makeDatabase) => {
  let name: string;
  let gw: TestGateway;
  let ds: DataSource;
  let booker: { key: string; email: string; id: number };
  let owner: { key: string; id: number; email: string; name: string | null };

  const input = (eventTypeId: number, start: Date, extra: Record<string, unknown> = {}) => ({
    eventTypeId,
    start: start.toISOString(),
    timeZone: "Europe/Berlin",
    responses: { name: "Bea Booker", email: booker.email },
    ...extra,
  });
  const create = (vars: Record<string, unknown>, key = booker.key) => gw.gql(CREATE, { input: vars }, key);

  beforeAll(async () => {
    name = await makeDatabase();
    gw = await startTestGateway({ databaseName: name });
    ds = gw.dataSource;
    const b = await createViewer(ds, { email: "bea.booker@example.test", name: "Bea Booker" });
    booker = { key: b.key, email: b.user.email, id: b.user.id };
    const o = await createViewer(ds, { name: "Olga Owner" });
    owner = { key: o.key, id: o.user.id, email: o.user.email, name: o.user.name };
  });
  afterAll(async () => {
    await gw.close();
    await dropTestDatabase(name);
  });

  it("writes the booking as Cal.com does", async () => {
    const et = await createEventType(ds, {
      userId: owner.id,
      length: 30,
      title: "Intro call",
      locations: [{ type: "integrations:daily" }],
    });
    const calendar = await ds
      .getRepository(DestinationCalendar)
      .save({ integration: "google_calendar", externalId: "c1", userId: owner.id });
    const start = nextStart();
    const before = Date.now();
    const res = await create(
      input(et.id, start, {
        language: "de",
        metadata: { source: "crm" },
        responses: {
          name: "Bea Booker",
          email: booker.email,
          guests: ["guest.one@example.test"],
          notes: "About the contract",
          location: { value: "integrations:daily" },
        },
      }),
    );
    expect(res.body.errors).toBeUndefined();
    const b = res.body.data!.createBooking;
    expect(b).toMatchObject({
      title: "Intro call between Olga Owner and Bea Booker",
      description: "About the contract",
      status: "ACCEPTED",
      startTime: start.toISOString(),
      endTime: new Date(start.getTime() + 30 * 60_000).toISOString(),
      location: "integrations:daily",
      idempotencyKey: bookingSlotKey(start, new Date(start.getTime() + 30 * 60_000), owner.id),
      iCalUID: `${b.uid}@Cal.com`,
      iCalSequence: 0,
      userId: owner.id,
      userPrimaryEmail: owner.email,
      eventTypeId: et.id,
      metadata: { source: "crm" },
      destinationCalendarId: calendar.id,
      responses: {
        name: "Bea Booker",
        email: booker.email,
        guests: ["guest.one@example.test"],
        notes: "About the contract",
        location: { value: "integrations:daily", optionValue: "" },
      },
      attendees: [
        { name: "Bea Booker", email: booker.email, timeZone: "Europe/Berlin", locale: "de" },
        { name: "guest.one@example.test", email: "guest.one@example.test", timeZone: "Europe/Berlin", locale: "de" },
      ],
    });
    expect(b.uid).toMatch(/^[0-9a-f-]{36}$/);
    const [row] = await ds.query(`SELECT "createdAt", "updatedAt", status::text, paid FROM "Booking" WHERE id = $1`, [b.id]);
    expect(row.status).toBe("accepted");
    expect(row.paid).toBe(false);
    expect(row.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(row.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    expect(row.updatedAt).not.toBeNull();
    // The booker can read their booking through the read API (attendee by e-mail).
    const read = await gw.gql(`query($id: Int) { booking(id: $id) { id attendees { email } } }`, { id: b.id }, booker.key);
    expect(read.body.data!.booking.attendees).toHaveLength(2);
  });

  it("uses the event type's eventName template, an explicit title, and an explicit description", async () => {
    const et = await createEventType(ds, {
      userId: owner.id,
      eventName: "{Event type title} with {Scheduler} ({Organiser})",
      title: "Demo",
    });
    const templated = await create(input(et.id, nextStart()));
    expect(templated.body.data!.createBooking.title).toBe("Demo with Bea Booker (Olga Owner)");
    const explicit = await create(input(et.id, nextStart(), { title: "My own title", description: "Given" }));
    expect(explicit.body.data!.createBooking).toMatchObject({ title: "My own title", description: "Given" });
  });

  it("defaults end to start + length and accepts the lengths of metadata.multipleDuration only", async () => {
    const et = await createEventType(ds, { userId: owner.id, length: 30, metadata: { multipleDuration: [30, 60] } });
    const start = nextStart();
    const sixty = await create(input(et.id, start, { end: new Date(start.getTime() + 60 * 60_000).toISOString() }));
    expect(sixty.body.data!.createBooking.endTime).toBe(new Date(start.getTime() + 3_600_000).toISOString());
    const s2 = nextStart();
    const wrong = await create(input(et.id, s2, { end: new Date(s2.getTime() + 45 * 60_000).toISOString() }));
    expect(onlyError(wrong).extensions).toEqual({ code: "BAD_USER_INPUT", field: "end" });
  });

  it("makes bookings PENDING (no slot key) when the event type requires confirmation or has a price", async () => {
    const confirm = await createEventType(ds, { userId: owner.id, requiresConfirmation: true });
    const paid = await createEventType(ds, { userId: owner.id, price: 2500 });
    for (const et of [confirm, paid]) {
      const res = await create(input(et.id, nextStart()));
      expect(res.body.data!.createBooking).toMatchObject({ status: "PENDING", idempotencyKey: null });
    }
  });

  it.each([
    ["start in the past", (et: number) => input(et, new Date(Date.now() - DAY)), "start"],
    ["start inside the minimum notice", (et: number) => input(et, new Date(Date.now() + 30 * 60_000)), "start"],
    ["end before start", (et: number) => input(et, new Date(Date.UTC(2031, 5, 1, 10)), { end: "2031-06-01T09:00:00Z" }), "end"],
    ["end equal to start", (et: number) => input(et, new Date(Date.UTC(2031, 5, 1, 10)), { end: "2031-06-01T10:00:00Z" }), "end"],
    ["a wrong length", (et: number) => input(et, new Date(Date.UTC(2031, 5, 1, 10)), { end: "2031-06-01T10:20:00Z" }), "end"],
    ["an unknown time zone", (et: number) => input(et, nextStart(), { timeZone: "Mars/Olympus" }), "timeZone"],
    ["an offset instead of a zone", (et: number) => input(et, nextStart(), { timeZone: "+02:00" }), "timeZone"],
    ["a bad language", (et: number) => input(et, nextStart(), { language: "english please" }), "language"],
    ["a bad booker e-mail", (et: number) => input(et, nextStart(), { responses: { name: "X", email: "not-an-email" } }), "responses.email"],
    ["an empty name", (et: number) => input(et, nextStart(), { responses: { name: "  ", email: "x@example.test" } }), "responses.name"],
    [
      "a bad guest e-mail",
      (et: number) => input(et, nextStart(), { responses: { name: "X", email: "x@example.test", guests: ["ok@example.test", "nope"] } }),
      "responses.guests",
    ],
    [
      "an unknown location",
      (et: number) =>
        input(et, nextStart(), { responses: { name: "X", email: "x@example.test", location: { value: "integrations:teleport" } } }),
      "responses.location",
    ],
    [
      "a location the event type does not offer",
      (et: number) =>
        input(et, nextStart(), { responses: { name: "X", email: "x@example.test", location: { value: "integrations:zoom" } } }),
      "responses.location",
    ],
    ["non-string metadata", (et: number) => input(et, nextStart(), { metadata: { n: 5 } }), "metadata"],
  ])("refuses %s with BAD_USER_INPUT naming the field, writing nothing", async (_label, make, field) => {
    const et = await createEventType(ds, {
      userId: owner.id,
      length: 30,
      minimumBookingNotice: 120,
      locations: [{ type: "integrations:daily" }],
    });
    const before = await snapshotTables(ds);
    const res = await create(make(et.id));
    expect(res.status).toBe(200);
    expect(onlyError(res).extensions).toEqual({ code: "BAD_USER_INPUT", field });
    expect(await snapshotTables(ds)).toEqual(before);
  });

  it("needs the attendee's value for phone and attendeeInPerson, and stores optionValue as the location", async () => {
    const et = await createEventType(ds, { userId: owner.id, locations: [{ type: "phone" }, { type: "inPerson", address: "1 Main St" }] });
    const missing = await create(
      input(et.id, nextStart(), { responses: { name: "X", email: "x@example.test", location: { value: "phone" } } }),
    );
    expect(onlyError(missing).extensions).toEqual({ code: "BAD_USER_INPUT", field: "responses.location" });
    const phone = await create(
      input(et.id, nextStart(), {
        responses: { name: "X", email: "x@example.test", location: { value: "phone", optionValue: "+15555550100" } },
      }),
    );
    expect(phone.body.data!.createBooking.location).toBe("+15555550100");
    const inPerson = await create(
      input(et.id, nextStart(), { responses: { name: "X", email: "x@example.test", location: { value: "inPerson" } } }),
    );
    expect(inPerson.body.data!.createBooking.location).toBe("1 Main St");
    const defaulted = await create(input(et.id, nextStart()));
    expect(defaulted.body.data!.createBooking.responses.location).toEqual({ value: "phone", optionValue: "" });
  });

  it("answers NOT_FOUND for a missing event type and for a hidden one the viewer may not book", async () => {
    const missing = await create(input(999_999, nextStart()));
    expect(onlyError(missing).extensions).toEqual({ code: "NOT_FOUND" });
    const hidden = await createEventType(ds, { userId: owner.id, hidden: true });
    const denied = await create(input(hidden.id, nextStart()));
    expect(onlyError(denied).extensions).toEqual({ code: "NOT_FOUND" });
  });

  it("lets the owner, a team ADMIN/OWNER and a system admin book hidden event types", async () => {
    const hidden = await createEventType(ds, { userId: owner.id, hidden: true });
    expect((await create(input(hidden.id, nextStart()), owner.key)).body.data!.createBooking.status).toBe("ACCEPTED");
    const admin = await createViewer(ds, { role: UserPermissionRole.ADMIN });
    expect((await create(input(hidden.id, nextStart()), admin.key)).body.data!.createBooking.status).toBe("ACCEPTED");

    const team = await createTeam(ds);
    const teamAdmin = await createViewer(ds);
    const teamMember = await createViewer(ds);
    const host = await createUser(ds);
    await addMember(ds, team, teamAdmin.user, MembershipRole.ADMIN);
    await addMember(ds, team, teamMember.user, MembershipRole.MEMBER);
    const hiddenTeamType = await createEventType(ds, { teamId: team.id, hidden: true });
    await ds.getRepository(Host).insert({ userId: host.id, eventTypeId: hiddenTeamType.id });
    expect((await create(input(hiddenTeamType.id, nextStart()), teamAdmin.key)).body.data!.createBooking.userId).toBe(host.id);
    expect(onlyError(await create(input(hiddenTeamType.id, nextStart()), teamMember.key)).extensions?.code).toBe("NOT_FOUND");
  });

  it("refuses a slot the organizer holds (ACCEPTED or PENDING), allows back-to-back and over cancelled ones", async () => {
    const et = await createEventType(ds, { userId: owner.id, length: 60 });
    const start = new Date(Date.UTC(2032, 0, 10, 10));
    for (const status of [BookingStatus.CANCELLED, BookingStatus.REJECTED]) {
      await createBooking(ds, { userId: owner.id, startTime: start, endTime: new Date(start.getTime() + 3_600_000), status });
    }
    const first = await create(input(et.id, start));
    expect(first.body.data!.createBooking.status).toBe("ACCEPTED");
    const overlapping = await create(input(et.id, new Date(start.getTime() + 30 * 60_000)));
    expect(onlyError(overlapping).extensions).toEqual({ code: "CONFLICT", reason: "SLOT_TAKEN" });
    const backToBack = await create(input(et.id, new Date(start.getTime() + 3_600_000)));
    expect(backToBack.body.errors).toBeUndefined();
    const before = new Date(start.getTime() - 3_600_000);
    expect((await create(input(et.id, before))).body.errors).toBeUndefined();

    const pendingStart = new Date(Date.UTC(2032, 0, 11, 10));
    await createBooking(ds, {
      userId: owner.id,
      startTime: pendingStart,
      endTime: new Date(pendingStart.getTime() + 3_600_000),
      status: BookingStatus.PENDING,
    });
    expect(onlyError(await create(input(et.id, pendingStart))).extensions).toEqual({ code: "CONFLICT", reason: "SLOT_TAKEN" });
  });

  it("keeps the event type's buffers free around the new booking", async () => {
    const et = await createEventType(ds, { userId: owner.id, length: 30, beforeEventBuffer: 15, afterEventBuffer: 10 });
    const existing = new Date(Date.UTC(2032, 1, 1, 12));
    await createBooking(ds, { userId: owner.id, startTime: existing, endTime: new Date(existing.getTime() + 30 * 60_000) });
    // Ends 5 minutes before the existing one starts: inside the 10-minute after-buffer.
    const tooClose = await create(input(et.id, new Date(existing.getTime() - 35 * 60_000)));
    expect(onlyError(tooClose).extensions).toEqual({ code: "CONFLICT", reason: "SLOT_TAKEN" });
    // Starts 10 minutes after the existing one ends: inside the 15-minute before-buffer.
    const tooSoon = await create(input(et.id, new Date(existing.getTime() + 40 * 60_000)));
    expect(onlyError(tooSoon).extensions).toEqual({ code: "CONFLICT", reason: "SLOT_TAKEN" });
    expect((await create(input(et.id, new Date(existing.getTime() + 45 * 60_000)))).body.errors).toBeUndefined();
  });

  it("round robin: the first free host in host order (priority, then weight, then id) organizes; SLOT_TAKEN when none is free", async () => {
    const team = await createTeam(ds);
    const [high, heavy, light, locked] = await Promise.all([
      createUser(ds),
      createUser(ds),
      createUser(ds),
      createUser(ds, { locked: true }),
    ]);
    const et = await createEventType(ds, { teamId: team.id, length: 30 });
    await ds.getRepository(Host).insert([
      { userId: locked.id, eventTypeId: et.id, isFixed: false, priority: 4 },
      { userId: light.id, eventTypeId: et.id, isFixed: false, priority: null, weight: 50 },
      { userId: high.id, eventTypeId: et.id, isFixed: false, priority: 3 },
      { userId: heavy.id, eventTypeId: et.id, isFixed: false, priority: null, weight: null },
    ]);
    const start = new Date(Date.UTC(2032, 2, 1, 9));
    const picks: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await create(input(et.id, start, { responses: { name: `B${i}`, email: `b${i}@example.test` } }));
      picks.push(res.body.data!.createBooking.userId);
    }
    expect(picks).toEqual([high.id, heavy.id, light.id]); // the locked host is never picked
    const none = await create(input(et.id, start, { responses: { name: "B4", email: "b4@example.test" } }));
    expect(onlyError(none).extensions).toEqual({ code: "CONFLICT", reason: "SLOT_TAKEN" });
  });

  it("round robin with a fixed host: the fixed host organizes, the chosen host attends; the fixed host busy is SLOT_TAKEN", async () => {
    const team = await createTeam(ds);
    const [fixed, rotating] = await Promise.all([createUser(ds), createUser(ds)]);
    const et = await createEventType(ds, { teamId: team.id, length: 30 });
    await ds.getRepository(Host).insert([
      { userId: rotating.id, eventTypeId: et.id, isFixed: false },
      { userId: fixed.id, eventTypeId: et.id, isFixed: true },
    ]);
    const start = new Date(Date.UTC(2032, 2, 2, 9));
    const res = await create(input(et.id, start, { responses: { name: "B", email: "b@example.test" } }));
    expect(res.body.errors).toBeUndefined();
    const booking = res.body.data!.createBooking;
    expect(booking.userId).toBe(fixed.id);
    const attendees = await ds.query(`SELECT email FROM "Attendee" WHERE "bookingId" = $1 ORDER BY id`, [booking.id]);
    expect(attendees.map((a: { email: string }) => a.email)).toEqual(["b@example.test", rotating.email]);
    const again = await create(input(et.id, start, { responses: { name: "C", email: "c@example.test" } }));
    expect(onlyError(again).extensions).toEqual({ code: "CONFLICT", reason: "SLOT_TAKEN" });
  });

  it("seats attendees into one booking until the seats are full", async () => {
    const et = await createEventType(ds, { userId: owner.id, length: 60, seatsPerTimeSlot: 3 });
    const start = nextStart();
    const first = await create(input(et.id, start, { responses: { name: "One", email: "one@example.test" } }));
    const second = await create(
      input(et.id, start, { responses: { name: "Two", email: "two@example.test", guests: ["three@example.test"] } }),
    );
    expect(second.body.data!.createBooking.id).toBe(first.body.data!.createBooking.id);
    // The joiner's own view: the API key's owner holds none of these seats, so sees none of them.
    expect(second.body.data!.createBooking.attendees).toEqual([]);
    expect(second.body.data!.createBooking.seatsReferences).toEqual([]);
    const seated = await ds.query(
      `SELECT a.email FROM "Attendee" a JOIN "BookingSeat" s ON s."attendeeId" = a.id WHERE a."bookingId" = $1 ORDER BY a.id`,
      [first.body.data!.createBooking.id],
    );
    expect(seated.map((a: { email: string }) => a.email)).toEqual(["one@example.test", "two@example.test", "three@example.test"]);
    const again = await create(input(et.id, start, { responses: { name: "Two", email: "TWO@example.test" } }));
    expect(onlyError(again).extensions).toEqual({ code: "CONFLICT", reason: "SLOT_TAKEN" });
    const full = await create(input(et.id, start, { responses: { name: "Four", email: "four@example.test" } }));
    expect(onlyError(full).extensions).toEqual({ code: "CONFLICT", reason: "SLOT_TAKEN" });
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM "Booking" WHERE "eventTypeId" = $1`, [et.id]);
    expect(n).toBe(1);
  });

  it("returns the first booking for a repeated client idempotency key and writes nothing more", async () => {
    const et = await createEventType(ds, { userId: owner.id });
    const first = await create(input(et.id, nextStart(), { idempotencyKey: "order-42" }));
    const before = await snapshotTables(ds);
    // Same key, even with another slot: the first booking comes back and nothing is written.
    const repeat = await create(input(et.id, nextStart(), { idempotencyKey: "order-42" }));
    expect(repeat.body.data!.createBooking).toEqual(first.body.data!.createBooking);
    expect(await snapshotTables(ds)).toEqual(before);
    // Keys are per API-key owner: another viewer's "order-42" is a different booking.
    const other = await createViewer(ds);
    const theirs = await create(
      input(et.id, nextStart(), { idempotencyKey: "order-42", responses: { name: "Other", email: other.user.email } }),
      other.key,
    );
    expect(theirs.body.data!.createBooking.id).not.toBe(first.body.data!.createBooking.id);
  });

  it("refuses a conflicting create without writing anything", async () => {
    const et = await createEventType(ds, { userId: owner.id, length: 30 });
    const start = nextStart();
    await create(input(et.id, start));
    const before = await snapshotTables(ds);
    const res = await create(input(et.id, start, { responses: { name: "Late", email: "late@example.test", guests: ["g@example.test"] } }));
    expect(onlyError(res).extensions?.reason).toBe("SLOT_TAKEN");
    expect(await snapshotTables(ds)).toEqual(before);
  });
});
