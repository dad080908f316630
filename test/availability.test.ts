import type { DataSource } from "typeorm";
import { Booking, Host, OutOfOfficeEntry, SchedulingType, type User } from "../src/entities";
import { addMember, createBooking, createEventType, createSchedule, createTeam, createUser, createViewer } from "./support/factories";
import {
  createCalcomManagedDatabase,
  createTestDatabase,
  dropTestDatabase,
  onlyError,
  startTestGateway,
  type TestGateway,
} from "./support/harness";
import { snapshotTables } from "./support/snapshot";
import { createApiKey } from "./support/factories";

/**
 * Availability through real GraphQL over HTTP on real Postgres: `slots`, and createBooking /
 * rescheduleBooking / updateBooking refusing what does not fit (contract "Availability"), on the
 * gateway's own database and on a Cal.com-managed one. The process runs in America/New_York.
 */

const SLOTS = `query($et: Int!, $from: DateTime!, $to: DateTime!, $tz: String!, $duration: Int, $re: Int) {
  slots(eventTypeId: $et, from: $from, to: $to, timeZone: $tz, duration: $duration, rescheduleBookingId: $re) {
    date slots { start end seatsRemaining }
  }
}`;
const CREATE = `mutation($input: CreateBookingInput!) {
  createBooking(input: $input) { id userId startTime endTime status attendees { email } }
}`;

type SlotDays = Array<{ date: string; slots: Array<{ start: string; end: string; seatsRemaining: number | null }> }>;

describe.each([
  ["a migrated database", createTestDatabase],
  ["a Cal.com-managed database (DB_MIGRATIONS=off)", createCalcomManagedDatabase],
])("availability on %s", (_label, makeDatabase) => {
  let name: string;
  let gw: TestGateway;
  let ds: DataSource;
  let booker: { key: string; user: User };

  const slots = async (vars: Record<string, unknown>, key = booker.key) =>
    gw.gql<{ slots: SlotDays }>(SLOTS, { tz: "America/New_York", ...vars }, key);
  const starts = (days: SlotDays) => days.flatMap((d) => d.slots.map((s) => s.start));
  const create = (eventTypeId: number, start: string, extra: Record<string, unknown> = {}, key = booker.key) =>
    gw.gql(
      CREATE,
      {
        input: { eventTypeId, start, timeZone: "America/New_York", responses: { name: "Bea", email: booker.user.email }, ...extra },
      },
      key,
    );

  /** A New York organizer on Cal.com's built-in hours (no schedule: Monday–Friday 09:00–17:00). */
  async function nineToFive(extra: Record<string, unknown> = {}) {
    const organizer = await createUser(ds, { timeZone: "America/New_York" }, { hours: "builtin" });
    const eventType = await createEventType(ds, { userId: organizer.id, length: 60, minimumBookingNotice: 0, ...extra });
    return { organizer, eventType };
  }

  beforeAll(async () => {
    name = await makeDatabase();
    gw = await startTestGateway({ databaseName: name });
    ds = gw.dataSource;
    booker = await createViewer(ds, { email: "bea.avail@example.test" });
  });
  afterAll(async () => {
    await gw.close();
    await dropTestDatabase(name);
  });

  it("lists the hours in the organizer's zone, across the spring-forward change (09:00 local on both sides)", async () => {
    const { eventType } = await nineToFive();
    const res = await slots({ et: eventType.id, from: "2031-03-07T00:00:00Z", to: "2031-03-11T00:00:00Z" });
    expect(res.body.errors).toBeUndefined();
    const days = res.body.data!.slots;
    expect(days.map((d) => d.date)).toEqual(["2031-03-07", "2031-03-10"]); // Saturday and Sunday have no hours
    // Friday in EST (−5): 09:00–16:00 starts are 14:00Z–21:00Z; Monday in EDT (−4): 13:00Z–20:00Z.
    expect(days[0].slots.map((s) => s.start)).toEqual([14, 15, 16, 17, 18, 19, 20, 21].map((h) => `2031-03-07T${h}:00:00.000Z`));
    expect(days[1].slots.map((s) => s.start)).toEqual([13, 14, 15, 16, 17, 18, 19, 20].map((h) => `2031-03-10T${h}:00:00.000Z`));
    expect(days[1].slots[0]).toEqual({ start: "2031-03-10T13:00:00.000Z", end: "2031-03-10T14:00:00.000Z", seatsRemaining: null });
    // The same slots on a grid in another zone are grouped by that zone's dates.
    const tokyo = await slots({ et: eventType.id, from: "2031-03-07T00:00:00Z", to: "2031-03-11T00:00:00Z", tz: "Asia/Tokyo" });
    expect(tokyo.body.data!.slots.map((d) => d.date)).toEqual(["2031-03-07", "2031-03-08", "2031-03-10", "2031-03-11"]);
  });

  it("refuses a booking at 03:00 on a Sunday as NOT_AVAILABLE, writing nothing; a listed slot books and then leaves the list", async () => {
    const { eventType } = await nineToFive({ afterEventBuffer: 30 });
    const before = await snapshotTables(ds);
    const sunday = await create(eventType.id, "2031-03-16T07:00:00Z"); // 03:00 EDT, Sunday
    expect(onlyError(sunday).extensions).toEqual({ code: "CONFLICT", reason: "NOT_AVAILABLE" });
    const late = await create(eventType.id, "2031-03-17T20:30:00Z"); // Monday 16:30–17:30 EDT runs past 17:00
    expect(onlyError(late).extensions).toEqual({ code: "CONFLICT", reason: "NOT_AVAILABLE" });
    expect(await snapshotTables(ds)).toEqual(before);

    const range = { et: eventType.id, from: "2031-03-17T00:00:00Z", to: "2031-03-18T00:00:00Z" };
    const listed = starts((await slots(range)).body.data!.slots);
    expect(listed).toContain("2031-03-17T15:00:00.000Z");
    const ok = await create(eventType.id, "2031-03-17T15:00:00Z");
    expect(ok.body.errors).toBeUndefined();
    const after = starts((await slots(range)).body.data!.slots);
    // 11:00–12:00 EDT is taken; its 30-minute after-buffer also blocks the 12:00 slot.
    expect(after).not.toContain("2031-03-17T15:00:00.000Z");
    expect(after).not.toContain("2031-03-17T16:00:00.000Z");
    expect(after).toContain("2031-03-17T17:00:00.000Z");
    const busy = await create(eventType.id, "2031-03-17T16:00:00Z");
    expect(onlyError(busy).extensions).toEqual({ code: "CONFLICT", reason: "SLOT_TAKEN" });
    // Off the grid but inside free hours is accepted, as in Cal.com.
    expect((await create(eventType.id, "2031-03-17T17:07:00Z")).body.errors).toBeUndefined();
  });

  it("answers bad arguments with BAD_USER_INPUT and the field; an event type or booking out of reach with NOT_FOUND", async () => {
    const { eventType, organizer } = await nineToFive();
    const field = async (vars: Record<string, unknown>) =>
      onlyError(await slots({ et: eventType.id, from: "2031-04-01T00:00:00Z", to: "2031-04-02T00:00:00Z", ...vars })).extensions;
    expect(await field({ to: "2031-04-01T00:00:00Z" })).toEqual({ code: "BAD_USER_INPUT", field: "to" });
    expect(await field({ to: "2031-06-03T00:00:00Z" })).toEqual({ code: "BAD_USER_INPUT", field: "to" });
    expect((await slots({ et: eventType.id, from: "2031-04-01T00:00:00Z", to: "2031-06-02T00:00:00Z" })).body.errors).toBeUndefined();
    expect(await field({ tz: "Mars/Olympus" })).toEqual({ code: "BAD_USER_INPUT", field: "timeZone" });
    expect(await field({ duration: 45 })).toEqual({ code: "BAD_USER_INPUT", field: "duration" });

    const hidden = await createEventType(ds, { userId: organizer.id, hidden: true });
    expect(onlyError(await slots({ et: hidden.id, from: "2031-04-01T00:00:00Z", to: "2031-04-02T00:00:00Z" })).extensions).toEqual({
      code: "NOT_FOUND",
    });
    expect(onlyError(await slots({ et: 999_999, from: "2031-04-01T00:00:00Z", to: "2031-04-02T00:00:00Z" })).extensions).toEqual({
      code: "NOT_FOUND",
    });
    // Someone else's booking cannot be "rescheduled" through slots.
    const theirs = await createBooking(ds, {
      userId: organizer.id,
      eventTypeId: eventType.id,
      startTime: new Date("2031-04-01T14:00:00Z"),
      endTime: new Date("2031-04-01T15:00:00Z"),
    });
    expect(
      onlyError(await slots({ et: eventType.id, from: "2031-04-01T00:00:00Z", to: "2031-04-02T00:00:00Z", re: theirs.id })).extensions,
    ).toEqual({ code: "NOT_FOUND" });
    expect(
      onlyError(await slots({ et: eventType.id, from: "2031-04-01T00:00:00Z", to: "2031-04-02T00:00:00Z" }, "")).extensions?.code,
    ).toBe("UNAUTHENTICATED");
  });

  it("with rescheduleBookingId the booking's own time stays listed, and rescheduleBooking refuses times outside the hours", async () => {
    const { eventType } = await nineToFive();
    const made = await create(eventType.id, "2031-04-08T14:00:00Z"); // Tuesday 10:00 EDT
    expect(made.body.errors).toBeUndefined();
    const id = made.body.data!.createBooking.id as number;
    const range = { et: eventType.id, from: "2031-04-08T00:00:00Z", to: "2031-04-09T00:00:00Z" };
    expect(starts((await slots(range)).body.data!.slots)).not.toContain("2031-04-08T14:00:00.000Z");
    expect(starts((await slots({ ...range, re: id })).body.data!.slots)).toContain("2031-04-08T14:00:00.000Z");
    const night = await gw.gql(
      `mutation($id: Int!) { rescheduleBooking(id: $id, start: "2031-04-09T03:00:00Z") { id } }`,
      { id },
      booker.key,
    );
    expect(onlyError(night).extensions).toEqual({ code: "CONFLICT", reason: "NOT_AVAILABLE" });
    const moved = await gw.gql(
      `mutation($id: Int!) { rescheduleBooking(id: $id, start: "2031-04-08T14:30:00Z") { id startTime } }`,
      { id },
      booker.key,
    );
    expect(moved.body.errors).toBeUndefined(); // overlaps only itself
  });

  it("an attendee may list a hidden event type's slots to reschedule their booking, and reschedule to one", async () => {
    const { organizer } = await nineToFive();
    const hidden = await createEventType(ds, { userId: organizer.id, length: 60, minimumBookingNotice: 0, hidden: true });
    const mine = await createBooking(ds, {
      userId: organizer.id,
      eventTypeId: hidden.id,
      startTime: new Date("2031-04-09T14:00:00Z"),
      endTime: new Date("2031-04-09T15:00:00Z"),
      attendees: [{ email: booker.user.email }],
    });
    const range = { et: hidden.id, from: "2031-04-10T00:00:00Z", to: "2031-04-11T00:00:00Z" };
    expect(onlyError(await slots(range)).extensions).toEqual({ code: "NOT_FOUND" });
    const listed = await slots({ ...range, re: mine.id });
    expect(listed.body.errors).toBeUndefined();
    const first = listed.body.data!.slots[0].slots[0].start;
    const moved = await gw.gql(
      `mutation($id: Int!, $s: DateTime!) { rescheduleBooking(id: $id, start: $s) { startTime } }`,
      { id: mine.id, s: first },
      booker.key,
    );
    expect(moved.body.data!.rescheduleBooking.startTime).toBe(first);
  });

  it("a seated booking moved as a whole never lands on another held booking of its event type", async () => {
    const { organizer } = await nineToFive();
    const key = await createApiKey(ds, organizer);
    const seated = await createEventType(ds, {
      userId: organizer.id,
      length: 60,
      minimumBookingNotice: 0,
      seatsPerTimeSlot: 4,
      requiresConfirmation: true,
    });
    const at = (iso: string) => ({ startTime: new Date(iso), endTime: new Date(Date.parse(iso) + 3_600_000) });
    await createBooking(ds, {
      userId: organizer.id,
      eventTypeId: seated.id,
      status: "pending" as never,
      ...at("2031-04-29T14:00:00Z"),
      attendees: [{ email: "s1@example.test" }],
    });
    const b = await createBooking(ds, {
      userId: organizer.id,
      eventTypeId: seated.id,
      status: "pending" as never,
      ...at("2031-04-29T16:00:00Z"),
      attendees: [{ email: "s2@example.test" }],
    });
    const move = await gw.gql(
      `mutation($id: Int!) { updateBooking(id: $id, input: { start: "2031-04-29T14:00:00Z" }) { id } }`,
      { id: b.id },
      key,
    );
    expect(onlyError(move).extensions).toEqual({ code: "CONFLICT", reason: "SLOT_TAKEN" });
    const again = await gw.gql(
      `mutation($id: Int!) { rescheduleBooking(id: $id, start: "2031-04-29T14:00:00Z") { id } }`,
      { id: b.id },
      key,
    );
    expect(onlyError(again).extensions).toEqual({ code: "CONFLICT", reason: "SLOT_TAKEN" });
  });

  it("a rescheduled round-robin booking keeps its organizer, who must be free even when no longer a host", async () => {
    const team = await createTeam(ds);
    const [x, y] = [await createUser(ds), await createUser(ds)];
    const et = await createEventType(ds, {
      teamId: team.id,
      length: 30,
      minimumBookingNotice: 0,
      schedulingType: SchedulingType.ROUND_ROBIN,
    });
    await ds.getRepository(Host).insert([
      { userId: x.id, eventTypeId: et.id, isFixed: false },
      { userId: y.id, eventTypeId: et.id, isFixed: false },
    ]);
    const mine = await createBooking(ds, {
      userId: x.id,
      eventTypeId: et.id,
      startTime: new Date("2031-05-20T10:00:00Z"),
      endTime: new Date("2031-05-20T10:30:00Z"),
      attendees: [{ email: booker.user.email }],
    });
    await createBooking(ds, { userId: x.id, startTime: new Date("2031-05-20T12:00:00Z"), endTime: new Date("2031-05-20T13:00:00Z") });
    await ds.getRepository(Host).delete({ userId: x.id, eventTypeId: et.id });
    const range = { et: et.id, from: "2031-05-20T11:00:00Z", to: "2031-05-20T14:00:00Z", re: mine.id, tz: "UTC" };
    const listed = starts((await slots(range)).body.data!.slots);
    expect(listed).toContain("2031-05-20T11:00:00.000Z");
    expect(listed).not.toContain("2031-05-20T12:00:00.000Z"); // x is busy, though y (the only host now) is free
    const res = await gw.gql(
      `mutation($id: Int!) { rescheduleBooking(id: $id, start: "2031-05-20T12:00:00Z") { id } }`,
      { id: mine.id },
      booker.key,
    );
    expect(onlyError(res).extensions).toEqual({ code: "CONFLICT", reason: "SLOT_TAKEN" });
    const ok = await gw.gql(
      `mutation($id: Int!) { rescheduleBooking(id: $id, start: "2031-05-20T11:00:00Z") { userId } }`,
      { id: mine.id },
      booker.key,
    );
    expect(ok.body.data!.rescheduleBooking.userId).toBe(x.id);
  });

  it("slots for a seat holder's reschedule list what that reschedule accepts; a cancelled booking is NOT_FOUND", async () => {
    const { organizer } = await nineToFive();
    const seated = await createEventType(ds, { userId: organizer.id, length: 60, minimumBookingNotice: 0, seatsPerTimeSlot: 2 });
    const second = await createViewer(ds);
    expect((await create(seated.id, "2031-06-10T14:00:00Z")).body.errors).toBeUndefined();
    const joined = await create(seated.id, "2031-06-10T14:00:00Z", { responses: { name: "Two", email: second.user.email } }, second.key);
    const id = joined.body.data!.createBooking.id as number;
    const range = { et: seated.id, from: "2031-06-10T13:00:00Z", to: "2031-06-10T18:00:00Z", re: id, tz: "UTC" };
    const listed = starts((await slots(range, second.key)).body.data!.slots);
    expect(listed).not.toContain("2031-06-10T14:30:00.000Z");
    expect(listed).toContain("2031-06-10T16:00:00.000Z");
    const clash = await gw.gql(
      `mutation($id: Int!) { rescheduleBooking(id: $id, start: "2031-06-10T14:30:00Z") { id } }`,
      { id },
      second.key,
    );
    expect(onlyError(clash).extensions).toEqual({ code: "CONFLICT", reason: "SLOT_TAKEN" });
    const moved = await gw.gql(
      `mutation($id: Int!) { rescheduleBooking(id: $id, start: "2031-06-10T16:00:00Z") { startTime } }`,
      { id },
      second.key,
    );
    expect(moved.body.errors).toBeUndefined();

    const gone = await createBooking(ds, {
      userId: organizer.id,
      eventTypeId: seated.id,
      status: "cancelled" as never,
      startTime: new Date("2031-06-11T14:00:00Z"),
      endTime: new Date("2031-06-11T15:00:00Z"),
      attendees: [{ email: booker.user.email }],
    });
    expect(onlyError(await slots({ ...range, re: gone.id })).extensions).toEqual({ code: "NOT_FOUND" });
  });

  it("a held seated slot keeps its free seats in a day whose booking limit is reached", async () => {
    const { eventType } = await nineToFive({ seatsPerTimeSlot: 3, bookingLimits: { PER_DAY: 1 } });
    const second = await createViewer(ds);
    expect((await create(eventType.id, "2031-06-17T14:00:00Z")).body.errors).toBeUndefined();
    const day = await slots({ et: eventType.id, from: "2031-06-17T00:00:00Z", to: "2031-06-18T00:00:00Z", tz: "UTC" });
    expect(day.body.data!.slots[0].slots).toEqual([
      { start: "2031-06-17T14:00:00.000Z", end: "2031-06-17T15:00:00.000Z", seatsRemaining: 2 },
    ]);
    expect(
      (await create(eventType.id, "2031-06-17T14:00:00Z", { responses: { name: "Two", email: second.user.email } }, second.key)).body
        .errors,
    ).toBeUndefined();
    expect(onlyError(await create(eventType.id, "2031-06-17T16:00:00Z")).extensions).toEqual({
      code: "CONFLICT",
      reason: "BOOKING_LIMIT_REACHED",
    });
  });

  it("updateBooking moves check busy time with buffers (SLOT_TAKEN) but not the hours", async () => {
    const { organizer, eventType } = await nineToFive({ beforeEventBuffer: 15 });
    const key = await createApiKey(ds, organizer);
    const other = await createEventType(ds, { userId: organizer.id, length: 30, minimumBookingNotice: 0, afterEventBuffer: 20 });
    await createBooking(ds, {
      userId: organizer.id,
      eventTypeId: other.id,
      startTime: new Date("2031-04-15T14:00:00Z"),
      endTime: new Date("2031-04-15T14:30:00Z"),
    });
    const mine = await createBooking(ds, {
      userId: organizer.id,
      eventTypeId: eventType.id,
      startTime: new Date("2031-04-15T18:00:00Z"),
      endTime: new Date("2031-04-15T19:00:00Z"),
    });
    const move = (start: string) =>
      gw.gql(
        `mutation($id: Int!, $s: DateTime!) { updateBooking(id: $id, input: { start: $s }) { startTime } }`,
        { id: mine.id, s: start },
        key,
      );
    // The other booking ends 14:30 + its 20-minute after-buffer + this type's 15-minute before-buffer = 15:05.
    expect(onlyError(await move("2031-04-15T15:00:00Z")).extensions).toEqual({ code: "CONFLICT", reason: "SLOT_TAKEN" });
    expect((await move("2031-04-15T15:05:00Z")).body.errors).toBeUndefined();
    expect((await move("2031-04-20T03:00:00Z")).body.errors).toBeUndefined(); // a Sunday night: the organizer's own decision
  });

  it("an attended booking makes its attendee busy when they host", async () => {
    const { organizer, eventType } = await nineToFive();
    const elsewhere = await createUser(ds);
    await createBooking(ds, {
      userId: elsewhere.id,
      startTime: new Date("2031-04-22T14:00:00Z"),
      endTime: new Date("2031-04-22T15:00:00Z"),
      attendees: [{ email: organizer.email.toUpperCase() }],
    });
    const res = await create(eventType.id, "2031-04-22T14:00:00Z");
    expect(onlyError(res).extensions).toEqual({ code: "CONFLICT", reason: "SLOT_TAKEN" });
  });

  it("booking limits: a full day leaves no slots and refuses with BOOKING_LIMIT_REACHED, before the hours are checked", async () => {
    const { eventType } = await nineToFive({ bookingLimits: { PER_DAY: 1 } });
    expect((await create(eventType.id, "2031-05-06T14:00:00Z")).body.errors).toBeUndefined();
    const day = await slots({ et: eventType.id, from: "2031-05-06T00:00:00Z", to: "2031-05-08T00:00:00Z" });
    expect(day.body.data!.slots.map((d) => d.date)).toEqual(["2031-05-07"]);
    expect(onlyError(await create(eventType.id, "2031-05-06T18:00:00Z")).extensions).toEqual({
      code: "CONFLICT",
      reason: "BOOKING_LIMIT_REACHED",
    });
    expect(onlyError(await create(eventType.id, "2031-05-06T23:30:00Z")).extensions).toEqual({
      code: "CONFLICT",
      reason: "BOOKING_LIMIT_REACHED",
    });
  });

  it("booking period and notice refuse with BAD_USER_INPUT on start, before anything else", async () => {
    const organizer = await createUser(ds);
    const rolling = await createEventType(ds, {
      userId: organizer.id,
      length: 30,
      minimumBookingNotice: 60,
      periodType: "rolling" as never,
      periodDays: 2,
      periodCountCalendarDays: true,
      bookingLimits: { PER_DAY: 1 },
    });
    const soon = new Date(Math.ceil((Date.now() + 30 * 60_000) / 900_000) * 900_000);
    expect(onlyError(await create(rolling.id, soon.toISOString())).extensions).toEqual({ code: "BAD_USER_INPUT", field: "start" });
    const far = new Date(Math.ceil((Date.now() + 5 * 86_400_000) / 900_000) * 900_000);
    expect(onlyError(await create(rolling.id, far.toISOString())).extensions).toEqual({ code: "BAD_USER_INPUT", field: "start" });
    const listed = await slots({
      et: rolling.id,
      from: new Date().toISOString(),
      to: new Date(Date.now() + 10 * 86_400_000).toISOString(),
      tz: "UTC",
    });
    const all = starts(listed.body.data!.slots).map((s) => Date.parse(s));
    expect(all.length).toBeGreaterThan(0);
    expect(Math.min(...all)).toBeGreaterThanOrEqual(Date.now() + 60 * 60_000 - 5_000);
    expect(Math.max(...all)).toBeLessThan(Date.now() + 4 * 86_400_000); // today + 2 days, to that day's end (UTC user)
  });

  it("collective event types list only times every host has, and add the other hosts as attendees", async () => {
    const team = await createTeam(ds);
    const ny = await createUser(ds, { timeZone: "America/New_York" }, { hours: "builtin" });
    const berlin = await createUser(ds, { timeZone: "Europe/Berlin" }, { hours: "builtin" });
    const et = await createEventType(ds, {
      teamId: team.id,
      length: 60,
      minimumBookingNotice: 0,
      schedulingType: SchedulingType.COLLECTIVE,
    });
    await ds.getRepository(Host).insert([
      { userId: berlin.id, eventTypeId: et.id, isFixed: false },
      { userId: ny.id, eventTypeId: et.id, isFixed: false },
    ]);
    // Wednesday 2031-05-14: New York 09–17 EDT = 13–21Z, Berlin 09–17 CEST = 07–15Z: both 13–15Z.
    const res = await slots({ et: et.id, from: "2031-05-14T00:00:00Z", to: "2031-05-15T00:00:00Z" });
    expect(starts(res.body.data!.slots)).toEqual(["2031-05-14T13:00:00.000Z", "2031-05-14T14:00:00.000Z"]);
    expect(onlyError(await create(et.id, "2031-05-14T16:00:00Z")).extensions).toEqual({ code: "CONFLICT", reason: "NOT_AVAILABLE" });
    const made = await create(et.id, "2031-05-14T13:00:00Z");
    expect(made.body.errors).toBeUndefined();
    expect(made.body.data!.createBooking.userId).toBe(Math.min(ny.id, berlin.id)); // host order: lower id first
    const other = ny.id < berlin.id ? berlin : ny;
    expect(made.body.data!.createBooking.attendees.map((a: { email: string }) => a.email)).toEqual([booker.user.email, other.email]);
  });

  it("out-of-office and date overrides shape the hours; seats stay listed while they remain", async () => {
    const organizer = await createUser(ds, { timeZone: "Europe/Berlin" }, { hours: "builtin" });
    await createSchedule(
      ds,
      organizer,
      [
        { days: [1, 2, 3, 4, 5], startTime: "09:00", endTime: "12:00" },
        { days: [1, 2, 3, 4, 5], startTime: "13:00", endTime: "17:00" },
        { date: "2031-06-03", startTime: "10:00", endTime: "11:00" },
        { date: "2031-06-04", startTime: "00:00", endTime: "00:00" },
      ],
      { makeDefault: true },
    );
    await ds.getRepository(OutOfOfficeEntry).insert({
      uuid: `ooo-${organizer.id}`,
      userId: organizer.id,
      start: new Date("2031-06-05T00:00:00Z"),
      end: new Date("2031-06-06T00:00:00Z"),
      updatedAt: new Date(),
    });
    const et = await createEventType(ds, { userId: organizer.id, length: 60, minimumBookingNotice: 0, seatsPerTimeSlot: 2 });
    const res = await slots({ et: et.id, from: "2031-06-02T00:00:00Z", to: "2031-06-07T00:00:00Z", tz: "Europe/Berlin" });
    const days = res.body.data!.slots;
    // Monday split shift (CEST, UTC+2): 09,10,11 then 13..16 local; Tuesday override 10:00; Wednesday off;
    // Thursday away until 02:00 local Friday... the entry covers Thursday 02:00 to Friday 02:00 local.
    expect(days.map((d) => [d.date, d.slots.map((s) => s.start.slice(11, 16))])).toEqual([
      ["2031-06-02", ["07:00", "08:00", "09:00", "11:00", "12:00", "13:00", "14:00"]],
      ["2031-06-03", ["08:00"]],
      ["2031-06-06", ["07:00", "08:00", "09:00", "11:00", "12:00", "13:00", "14:00"]],
    ]);
    expect(days[1].slots[0].seatsRemaining).toBe(2);
    expect((await create(et.id, "2031-06-03T08:00:00Z")).body.errors).toBeUndefined();
    const after = await slots({ et: et.id, from: "2031-06-03T00:00:00Z", to: "2031-06-04T00:00:00Z", tz: "Europe/Berlin" });
    expect(after.body.data!.slots[0].slots[0].seatsRemaining).toBe(1);
    const second = await createViewer(ds);
    expect(
      (await create(et.id, "2031-06-03T08:00:00Z", { responses: { name: "Two", email: second.user.email } }, second.key)).body.errors,
    ).toBeUndefined();
    expect(
      (await slots({ et: et.id, from: "2031-06-03T00:00:00Z", to: "2031-06-04T00:00:00Z", tz: "Europe/Berlin" })).body.data!.slots,
    ).toEqual([]);
  });

  it("reads at most 3 SQL statements for 31 days of a 10-host round-robin event type with busy hosts", async () => {
    const team = await createTeam(ds);
    const hosts = [];
    for (let i = 0; i < 10; i += 1)
      hosts.push(await createUser(ds, { timeZone: i % 2 ? "Europe/Berlin" : "America/New_York" }, { hours: "builtin" }));
    const et = await createEventType(ds, {
      teamId: team.id,
      length: 30,
      minimumBookingNotice: 0,
      schedulingType: SchedulingType.ROUND_ROBIN,
      bookingLimits: { PER_WEEK: 100 },
    });
    await ds.getRepository(Host).insert(hosts.map((h, i) => ({ userId: h.id, eventTypeId: et.id, isFixed: false, priority: i % 3 })));
    for (const [i, h] of hosts.entries()) {
      await createBooking(ds, {
        userId: h.id,
        eventTypeId: et.id,
        startTime: new Date(Date.UTC(2031, 6, 1 + i, 14)),
        endTime: new Date(Date.UTC(2031, 6, 1 + i, 15)),
      });
    }
    await gw.gql(`{ me { id } }`, {}, booker.key); // the key is read (and cached) here
    const res = await slots({ et: et.id, from: "2031-07-01T00:00:00Z", to: "2031-08-01T00:00:00Z" });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.slots.length).toBeGreaterThan(20);
    expect(Number(res.headers.get("x-sql-statements"))).toBeLessThanOrEqual(3);
  });

  it("two concurrent bookings cannot both take the last place of a booking limit", async () => {
    const team = await createTeam(ds);
    const [a, b] = [await createUser(ds), await createUser(ds)];
    const et = await createEventType(ds, { teamId: team.id, length: 30, minimumBookingNotice: 0, bookingLimits: { PER_DAY: 1 } });
    await ds.getRepository(Host).insert([
      { userId: a.id, eventTypeId: et.id, isFixed: false },
      { userId: b.id, eventTypeId: et.id, isFixed: false },
    ]);
    const tries = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => create(et.id, new Date(Date.UTC(2031, 7, 5, 8 + i)).toISOString())));
    const ok = tries.filter((t) => !t.body.errors);
    expect(ok).toHaveLength(1);
    for (const t of tries.filter((x) => x.body.errors))
      expect(onlyError(t).extensions).toEqual({ code: "CONFLICT", reason: "BOOKING_LIMIT_REACHED" });
    expect(await ds.getRepository(Booking).count({ where: { eventTypeId: et.id } })).toBe(1);
  });

  it("eventTypes / eventType: bookable ones only, Cal.com's order, one argument set, constant statements", async () => {
    const owner = await createUser(ds, { username: `owner${Date.now()}` });
    const team = await createTeam(ds);
    const low = await createEventType(ds, { userId: owner.id, slug: "low" });
    const high = await createEventType(ds, { userId: owner.id, slug: "high", position: 5 });
    await createEventType(ds, { userId: owner.id, slug: "secret", hidden: true });
    const list = await gw.gql(
      `query($u: Int) { eventTypes(userId: $u) { id slug lengths hosts { user { id } } team { id } } }`,
      { u: owner.id },
      booker.key,
    );
    expect(list.body.data!.eventTypes.map((e: { slug: string }) => e.slug)).toEqual(["high", "low"]);
    const byName = await gw.gql(`query($n: String) { eventTypes(username: $n) { id } }`, { n: owner.username }, booker.key);
    expect(byName.body.data!.eventTypes.map((e: { id: number }) => e.id)).toEqual([high.id, low.id]);
    expect(onlyError(await gw.gql(`{ eventTypes { id } }`, {}, booker.key)).extensions?.code).toBe("BAD_USER_INPUT");
    expect(
      onlyError(await gw.gql(`query($u: Int) { eventTypes(userId: $u, teamId: 1) { id } }`, { u: owner.id }, booker.key)).extensions?.code,
    ).toBe("BAD_USER_INPUT");
    const one = await gw.gql(`query($n: String) { eventType(username: $n, slug: "low") { id } }`, { n: owner.username }, booker.key);
    expect(one.body.data!.eventType.id).toBe(low.id);
    expect(
      onlyError(await gw.gql(`query($n: String) { eventType(username: $n, slug: "secret") { id } }`, { n: owner.username }, booker.key))
        .extensions?.code,
    ).toBe("NOT_FOUND");
    expect(
      onlyError(await gw.gql(`query($n: String) { eventType(username: $n, slug: "nope") { id } }`, { n: owner.username }, booker.key))
        .extensions?.code,
    ).toBe("NOT_FOUND");
    expect(onlyError(await gw.gql(`{ eventType(slug: "low") { id } }`, {}, booker.key)).extensions?.code).toBe("BAD_USER_INPUT");
    // The owner sees their hidden one.
    const ownerKey = await createApiKey(ds, owner);
    expect(
      (await gw.gql(`query($u: Int) { eventTypes(userId: $u) { slug } }`, { u: owner.id }, ownerKey)).body.data!.eventTypes,
    ).toHaveLength(3);

    // A team's event types with hosts and their users: the same statements for 2 as for 6.
    const count = async (n: number) => {
      const t = await createTeam(ds);
      for (let i = 0; i < n; i += 1) {
        const et = await createEventType(ds, { teamId: t.id, schedulingType: SchedulingType.ROUND_ROBIN });
        const hs = [await createUser(ds), await createUser(ds)];
        await ds.getRepository(Host).insert(hs.map((h) => ({ userId: h.id, eventTypeId: et.id, isFixed: false })));
      }
      const res = await gw.gql(
        `query($t: Int) { eventTypes(teamId: $t) { id team { slug } hosts { isFixed user { username } } } }`,
        { t: t.id },
        booker.key,
      );
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.eventTypes).toHaveLength(n);
      return Number(res.headers.get("x-sql-statements"));
    };
    expect(await count(6)).toBe(await count(2));
    await addMember(ds, team, owner);
  });
});

describe("on a database whose default isolation is REPEATABLE READ", () => {
  let gw: TestGateway;
  let name: string;
  beforeAll(async () => {
    name = await createTestDatabase();
    const admin = await startTestGateway({ databaseName: name });
    await admin.dataSource.query(`ALTER DATABASE "${name}" SET default_transaction_isolation = 'repeatable read'`);
    await admin.close();
    gw = await startTestGateway({ databaseName: name });
  });
  afterAll(async () => {
    await gw.close();
    await dropTestDatabase(name);
  });

  it("two concurrent bookings still cannot both take the last place of a booking limit (writes run READ COMMITTED)", async () => {
    const ds = gw.dataSource;
    expect((await ds.query(`SHOW default_transaction_isolation`))[0].default_transaction_isolation).toBe("repeatable read");
    const booker = await createViewer(ds);
    const team = await createTeam(ds);
    const [a, b] = [await createUser(ds), await createUser(ds)];
    const et = await createEventType(ds, { teamId: team.id, length: 30, minimumBookingNotice: 0, bookingLimits: { PER_DAY: 1 } });
    await ds.getRepository(Host).insert([
      { userId: a.id, eventTypeId: et.id, isFixed: false },
      { userId: b.id, eventTypeId: et.id, isFixed: false },
    ]);
    const tries = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) =>
        gw.gql(
          CREATE,
          {
            input: {
              eventTypeId: et.id,
              start: new Date(Date.UTC(2031, 7, 5, 8 + i)).toISOString(),
              timeZone: "UTC",
              responses: { name: "B", email: booker.user.email },
            },
          },
          booker.key,
        ),
      ),
    );
    expect(tries.filter((t) => !t.body.errors)).toHaveLength(1);
    expect(await ds.getRepository(Booking).count({ where: { eventTypeId: et.id } })).toBe(1);
  });
});
