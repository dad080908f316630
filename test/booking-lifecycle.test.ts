import type { DataSource } from "typeorm";
import { bookingSlotKey } from "../src/domain/booking/idempotency";
import { BookingStatus, Host, MembershipRole, UserPermissionRole, type EventType, type User } from "../src/entities";
import { addMember, createBooking, createEventType, createTeam, createUser, createViewer, type BookingSpec } from "./support/factories";
import { onlyError, startTestGateway, type GqlResponse, type TestGateway } from "./support/harness";
import type { AnyJson } from "./support/json";

/**
 * The booking lifecycle over HTTP (contract: "Lifecycle and permissions", "Error contract"):
 * updateBooking, cancelBooking, rescheduleBooking, confirmBooking, rejectBooking. Every outcome is
 * checked in the response and in the rows read back from Postgres. createBooking is covered elsewhere.
 */

const { ACCEPTED, PENDING, AWAITING_HOST, CANCELLED, REJECTED } = BookingStatus;
const API: Record<BookingStatus, string> = {
  [ACCEPTED]: "ACCEPTED",
  [PENDING]: "PENDING",
  [AWAITING_HOST]: "AWAITING_HOST",
  [CANCELLED]: "CANCELLED",
  [REJECTED]: "REJECTED",
};
const ALL_STATUSES = [ACCEPTED, PENDING, AWAITING_HOST, CANCELLED, REJECTED];

const MIN = 60_000;
/** A UTC instant on 10 March 2031 (in the future, far from other tests' organizers). */
const at = (h: number, m = 0, day = 10) => new Date(Date.UTC(2031, 2, day, h, m));
const iso = (d: Date) => d.toISOString();

const FIELDS = `id uid status title description startTime endTime idempotencyKey iCalUID iCalSequence
  cancellationReason rejectionReason rescheduled fromReschedule userId eventTypeId location responses metadata updatedAt
  attendees { email name }`;
const UPDATE = `mutation Update($id: Int!, $input: UpdateBookingInput!) { updateBooking(id: $id, input: $input) { ${FIELDS} } }`;
const CANCEL = `mutation Cancel($id: Int!, $reason: String, $all: Boolean) {
  cancelBooking(id: $id, cancellationReason: $reason, allRemainingBookings: $all) { ${FIELDS} } }`;
const RESCHEDULE = `mutation Reschedule($id: Int!, $start: DateTime!, $end: DateTime, $reason: String) {
  rescheduleBooking(id: $id, start: $start, end: $end, reason: $reason) { ${FIELDS} } }`;
const CONFIRM = `mutation Confirm($id: Int!) { confirmBooking(id: $id) { ${FIELDS} } }`;
const REJECT = `mutation Reject($id: Int!, $reason: String) { rejectBooking(id: $id, reason: $reason) { ${FIELDS} } }`;
const CREATE = `mutation Create($input: CreateBookingInput!) { createBooking(input: $input) { id status startTime endTime userId idempotencyKey } }`;

describe("booking lifecycle", () => {
  let gw: TestGateway;
  let ds: DataSource;

  beforeAll(async () => {
    gw = await startTestGateway();
    ds = gw.dataSource;
  });

  afterAll(() => gw.close());

  // -------------------------------------------------------------------------------------------
  // helpers

  interface Org {
    user: User;
    key: string;
    et: EventType;
  }

  /** A fresh organizer with an API key and an event type of their own (30 minutes, no notice). */
  async function organizer(etOverrides: Partial<EventType> = {}): Promise<Org> {
    const { user, key } = await createViewer(ds);
    const et = await createEventType(ds, { userId: user.id, ...etOverrides });
    return { user, key, et };
  }

  /**
   * A booking as the gateway would have written it: organizer and event type of `o`, 30 minutes,
   * one attendee, and for ACCEPTED ones Cal.com's slot key in idempotencyKey.
   */
  async function seed(o: Org, spec: BookingSpec = {}) {
    const start = spec.startTime ?? at(10);
    const end = spec.endTime ?? new Date(start.getTime() + 30 * MIN);
    const status = spec.status ?? ACCEPTED;
    const userId = spec.userId ?? o.user.id;
    return createBooking(ds, {
      userId,
      userPrimaryEmail: o.user.email,
      eventTypeId: o.et.id,
      attendees: [{ email: `guest.${o.user.id}@example.test`, name: "Guest Person" }],
      idempotencyKey: status === ACCEPTED ? bookingSlotKey(start, end, userId) : null,
      iCalUID: `ical-${o.user.id}-${start.getTime()}@Cal.com`,
      ...spec,
      startTime: start,
      endTime: end,
      status,
    });
  }

  /** A "Booking" row as `SELECT *` reads it: columns to compare, the timestamps as dates. */
  type BookingRow = Record<string, unknown> & { startTime: Date; endTime: Date; updatedAt: Date };

  /** The booking's row as stored. */
  async function row(id: number): Promise<BookingRow> {
    const rows = await ds.query(`SELECT * FROM "Booking" WHERE id = $1`, [id]);
    expect(rows).toHaveLength(1);
    return rows[0];
  }

  /** The booking's row as JSON text (every column, exactly). */
  async function rowText(id: number): Promise<string> {
    const rows = await ds.query(`SELECT row_to_json(t)::text AS j FROM "Booking" t WHERE id = $1`, [id]);
    return rows[0].j;
  }

  async function attendeesOf(id: number): Promise<Array<Record<string, unknown>>> {
    return ds.query(`SELECT email, name, "timeZone", "phoneNumber", locale, "noShow" FROM "Attendee" WHERE "bookingId" = $1 ORDER BY id`, [
      id,
    ]);
  }

  /** Every row of the tables a booking write touches, as JSON text, ordered by id. */
  async function snapshot(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const table of ["Booking", "Attendee", "BookingSeat"]) {
      const rows: Array<{ j: string }> = await ds.query(`SELECT row_to_json(t)::text AS j FROM "${table}" t ORDER BY id`);
      out[table] = rows.map((r) => r.j);
    }
    return out;
  }

  /** Runs `act` and asserts the database is exactly as before it. */
  async function unchangedBy<T>(act: () => Promise<T>): Promise<T> {
    const before = await snapshot();
    const result = await act();
    expect(await snapshot()).toEqual(before);
    return result;
  }

  /** The mutation's payload, asserting it succeeded. */
  function data(res: GqlResponse, field: string): Record<string, AnyJson> {
    expect(res.body.errors).toBeUndefined();
    expect(res.status).toBe(200);
    return res.body.data![field];
  }

  /** Asserts exactly one error with these extensions (code plus reason / field) and no data. */
  function failed(res: GqlResponse, extensions: Record<string, unknown>): void {
    const error = onlyError(res);
    expect(error.extensions).toMatchObject(extensions);
    expect(res.body.data ?? null).toBeNull();
  }

  const update = (id: number, input: Record<string, unknown>, key: string) => gw.gql(UPDATE, { id, input }, key);
  const cancel = (id: number, key: string, reason?: string, all?: boolean) => gw.gql(CANCEL, { id, reason, all }, key);
  const reschedule = (id: number, key: string, start: Date, end?: Date, reason?: string) =>
    gw.gql(RESCHEDULE, { id, start: iso(start), end: end && iso(end), reason }, key);
  const confirm = (id: number, key: string) => gw.gql(CONFIRM, { id }, key);
  const reject = (id: number, key: string, reason?: string) => gw.gql(REJECT, { id, reason }, key);

  const SLOT_TAKEN = { code: "CONFLICT", reason: "SLOT_TAKEN" };
  const INVALID_TRANSITION = { code: "CONFLICT", reason: "INVALID_TRANSITION" };

  // -------------------------------------------------------------------------------------------
  // 1. permissions

  describe("permissions", () => {
    type Op = "update" | "confirm" | "reject" | "cancel" | "reschedule";
    type Outcome = "allowed" | "FORBIDDEN" | "NOT_FOUND";
    const actors: Record<string, { user: User; key: string }> = {};
    /** Per actor: the organizer and event type of the booking they act on. */
    const subjects: Record<string, { organizer: User; eventType: EventType; attendees?: BookingSpec["attendees"] }> = {};
    let slot = 0;
    /** A unique 30-minute slot per call, so matrix bookings never collide. */
    const nextSlot = () => new Date(Date.UTC(2031, 5, 1, 8) + (slot += 1) * 60 * MIN);

    const manage: Record<string, Outcome> = {
      organizer: "allowed",
      eventTypeOwner: "allowed", // booking organized by someone else on an event type they own
      teamAdmin: "allowed", // accepted ADMIN of the event type's team
      teamOwner: "allowed", // accepted OWNER of the event type's team
      orgAdmin: "allowed", // admin of the organizer's organization (Admin API enabled)
      orgAdminApiOff: "NOT_FOUND", // admin of an organization whose Admin API is not enabled
      systemAdmin: "allowed", // users.role = ADMIN
      attendee: "FORBIDDEN", // may read (attendee, e-mail in another case), may not manage
      teamMember: "NOT_FOUND", // plain member of the team: cannot even read it
      pendingTeamAdmin: "NOT_FOUND", // ADMIN membership not accepted
      outsider: "NOT_FOUND",
    };
    const cancelLike: Record<string, Outcome> = { ...manage, attendee: "allowed" };
    const expected: Record<Op, Record<string, Outcome>> = {
      update: manage,
      confirm: manage,
      reject: manage,
      cancel: cancelLike,
      reschedule: cancelLike,
    };
    const cases: Array<[string, Op, Outcome]> = [];
    for (const op of Object.keys(expected) as Op[]) {
      for (const actor of Object.keys(manage)) cases.push([actor, op, expected[op][actor]]);
    }

    beforeAll(async () => {
      const viewer = async (name: string, extra: Partial<User> = {}) => {
        const v = await createViewer(ds, extra);
        actors[name] = v;
        return v.user;
      };
      const organizerUser = await viewer("organizer");
      const eventTypeOwner = await viewer("eventTypeOwner");
      const teamAdmin = await viewer("teamAdmin");
      const teamOwner = await viewer("teamOwner");
      const orgAdmin = await viewer("orgAdmin");
      const orgAdminApiOff = await viewer("orgAdminApiOff");
      await viewer("systemAdmin", { role: UserPermissionRole.ADMIN });
      await viewer("attendee", { email: `matrix.attendee.${Date.now()}@example.test` });
      const teamMember = await viewer("teamMember");
      const pendingTeamAdmin = await viewer("pendingTeamAdmin");
      await viewer("outsider");

      const stranger = await createUser(ds);
      const host = await createUser(ds);
      const team = await createTeam(ds);
      await addMember(ds, team, teamAdmin, MembershipRole.ADMIN);
      await addMember(ds, team, teamOwner, MembershipRole.OWNER);
      await addMember(ds, team, teamMember, MembershipRole.MEMBER);
      await addMember(ds, team, pendingTeamAdmin, MembershipRole.ADMIN, false);
      await addMember(ds, team, host, MembershipRole.MEMBER);

      const org = await createTeam(ds, { isOrganization: true, adminApiEnabled: true });
      const orgMember = await createUser(ds, { organizationId: org.id });
      await addMember(ds, org, orgAdmin, MembershipRole.ADMIN);
      await addMember(ds, org, orgMember, MembershipRole.MEMBER);
      const closedOrg = await createTeam(ds, { isOrganization: true, adminApiEnabled: false });
      const closedOrgMember = await createUser(ds, { organizationId: closedOrg.id });
      await addMember(ds, closedOrg, orgAdminApiOff, MembershipRole.ADMIN);
      await addMember(ds, closedOrg, closedOrgMember, MembershipRole.MEMBER);
      const closedOrgMembersType = await createEventType(ds, { userId: closedOrgMember.id });

      const own = await createEventType(ds, { userId: organizerUser.id });
      const owned = await createEventType(ds, { userId: eventTypeOwner.id });
      const teamType = await createEventType(ds, { teamId: team.id });
      await ds.getRepository(Host).insert({ userId: host.id, eventTypeId: teamType.id, isFixed: false });
      const orgMembersType = await createEventType(ds, { userId: orgMember.id });
      const strangersType = await createEventType(ds, { userId: stranger.id });

      subjects.organizer = { organizer: organizerUser, eventType: own };
      subjects.eventTypeOwner = { organizer: stranger, eventType: owned };
      subjects.teamAdmin = { organizer: host, eventType: teamType };
      subjects.teamOwner = { organizer: host, eventType: teamType };
      subjects.orgAdmin = { organizer: orgMember, eventType: orgMembersType };
      subjects.orgAdminApiOff = { organizer: closedOrgMember, eventType: closedOrgMembersType };
      subjects.systemAdmin = { organizer: stranger, eventType: strangersType };
      subjects.attendee = {
        organizer: stranger,
        eventType: strangersType,
        attendees: [{ email: actors.attendee.user.email.toUpperCase(), name: "Matrix Attendee" }],
      };
      subjects.teamMember = { organizer: host, eventType: teamType };
      subjects.pendingTeamAdmin = { organizer: host, eventType: teamType };
      subjects.outsider = { organizer: stranger, eventType: strangersType, attendees: [{ email: "someone@else.test" }] };
    });

    const statusFor: Record<Op, BookingStatus> = {
      update: ACCEPTED,
      confirm: PENDING,
      reject: PENDING,
      cancel: ACCEPTED,
      reschedule: ACCEPTED,
    };

    it.each(cases)("%s → %s: %s", async (actor, op, outcome) => {
      const { organizer: org, eventType, attendees } = subjects[actor];
      const start = nextSlot();
      const end = new Date(start.getTime() + 30 * MIN);
      const status = statusFor[op];
      const b = await createBooking(ds, {
        userId: org.id,
        eventTypeId: eventType.id,
        startTime: start,
        endTime: end,
        status,
        idempotencyKey: status === ACCEPTED ? bookingSlotKey(start, end, org.id) : null,
        attendees: attendees ?? [{ email: `guest.${slot}@example.test` }],
      });
      const { key, user } = actors[actor];
      const newStart = nextSlot();
      const run = (): Promise<GqlResponse> => {
        switch (op) {
          case "update":
            return update(b.id, { title: `Changed by ${actor}` }, key);
          case "confirm":
            return confirm(b.id, key);
          case "reject":
            return reject(b.id, key, `Rejected by ${actor}`);
          case "cancel":
            return cancel(b.id, key, `Cancelled by ${actor}`);
          case "reschedule":
            return reschedule(b.id, key, newStart);
        }
      };

      if (outcome !== "allowed") {
        const res = await unchangedBy(run);
        failed(res, { code: outcome });
        return;
      }

      const res = await run();
      const field = `${op}Booking`;
      const payload = data(res, field);
      const stored = await row(b.id);
      switch (op) {
        case "update":
          expect(payload.title).toBe(`Changed by ${actor}`);
          expect(stored.title).toBe(`Changed by ${actor}`);
          break;
        case "confirm":
          expect(payload.status).toBe("ACCEPTED");
          expect(stored.status).toBe(ACCEPTED);
          expect(stored.idempotencyKey).toBe(bookingSlotKey(start, end, org.id));
          break;
        case "reject":
          expect(payload.status).toBe("REJECTED");
          expect(stored.status).toBe(REJECTED);
          expect(stored.rejectionReason).toBe(`Rejected by ${actor}`);
          break;
        case "cancel":
          expect(payload.status).toBe("CANCELLED");
          expect(stored.status).toBe(CANCELLED);
          expect(stored.cancelledBy).toBe(user.email);
          break;
        case "reschedule": {
          expect(payload.id).not.toBe(b.id);
          expect(payload.fromReschedule).toBe(b.uid);
          expect(payload.startTime).toBe(iso(newStart));
          expect(stored.status).toBe(CANCELLED);
          expect(stored.rescheduled).toBe(true);
          expect(stored.rescheduledBy).toBe(user.email);
          const fresh = await row(payload.id);
          expect(fresh.userId).toBe(org.id);
          expect(fresh.status).toBe(ACCEPTED);
          break;
        }
      }
    });
  });

  describe("without a key or on a missing booking", () => {
    it("every lifecycle mutation without a key is UNAUTHENTICATED (HTTP 401) and writes nothing", async () => {
      const o = await organizer();
      const b = await seed(o);
      const p = await seed(o, { status: PENDING, startTime: at(12) });
      await unchangedBy(async () => {
        for (const res of [
          await update(b.id, { title: "x" }, ""),
          await cancel(b.id, ""),
          await reschedule(b.id, "", at(15)),
          await confirm(p.id, ""),
          await reject(p.id, ""),
        ]) {
          expect(res.status).toBe(401);
          expect(onlyError(res).extensions).toMatchObject({ code: "UNAUTHENTICATED" });
        }
      });
    });

    it("every lifecycle mutation on a booking id that does not exist is NOT_FOUND", async () => {
      const admin = await createViewer(ds, { role: UserPermissionRole.ADMIN });
      const missing = 9_999_999;
      await unchangedBy(async () => {
        failed(await update(missing, { title: "x" }, admin.key), { code: "NOT_FOUND" });
        failed(await cancel(missing, admin.key), { code: "NOT_FOUND" });
        failed(await reschedule(missing, admin.key, at(15)), { code: "NOT_FOUND" });
        failed(await confirm(missing, admin.key), { code: "NOT_FOUND" });
        failed(await reject(missing, admin.key), { code: "NOT_FOUND" });
      });
    });
  });

  // -------------------------------------------------------------------------------------------
  // 2. updateBooking: details and moves

  describe("updateBooking: details and moving", () => {
    it("changes title and description, sets updatedAt, and does not bump iCalSequence", async () => {
      const o = await organizer();
      const b = await seed(o, { description: "old", iCalSequence: 3, updatedAt: new Date(Date.UTC(2030, 0, 1)) });
      const before = Date.now();
      const res = await update(b.id, { title: "New title", description: "New description" }, o.key);
      const payload = data(res, "updateBooking");
      expect(payload).toMatchObject({ id: b.id, title: "New title", description: "New description", iCalSequence: 3, status: "ACCEPTED" });
      const stored = await row(b.id);
      expect(stored).toMatchObject({ title: "New title", description: "New description", iCalSequence: 3 });
      expect(stored.startTime.toISOString()).toBe(iso(at(10)));
      expect(stored.updatedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);

      const cleared = data(await update(b.id, { description: null }, o.key), "updateBooking");
      expect(cleared.description).toBeNull();
      expect((await row(b.id)).description).toBeNull();
      expect((await row(b.id)).title).toBe("New title");
    });

    it("refuses end not after start (field end) and a start in the past (field start)", async () => {
      const o = await organizer();
      const b = await seed(o);
      await unchangedBy(async () => {
        failed(await update(b.id, { start: iso(at(12)), end: iso(at(11, 30)) }, o.key), { code: "BAD_USER_INPUT", field: "end" });
        failed(await update(b.id, { start: iso(at(12)), end: iso(at(12)) }, o.key), { code: "BAD_USER_INPUT", field: "end" });
        failed(await update(b.id, { end: iso(at(9)) }, o.key), { code: "BAD_USER_INPUT", field: "end" });
        failed(await update(b.id, { start: "2020-01-01T10:00:00.000Z", end: "2020-01-01T10:30:00.000Z" }, o.key), {
          code: "BAD_USER_INPUT",
          field: "start",
        });
        failed(await update(b.id, { start: new Date(Date.now() - 5 * MIN).toISOString() }, o.key), {
          code: "BAD_USER_INPUT",
          field: "start",
        });
      });
    });

    it.each([ACCEPTED, PENDING])("refuses a move overlapping another %s booking of the organizer (SLOT_TAKEN)", async (status) => {
      const o = await organizer();
      const b = await seed(o, { startTime: at(10) });
      await seed(o, { startTime: at(14), endTime: at(15), status });
      await unchangedBy(async () => {
        failed(await update(b.id, { start: iso(at(14, 30)), end: iso(at(15)) }, o.key), SLOT_TAKEN); // inside
        failed(await update(b.id, { start: iso(at(13, 45)), end: iso(at(14, 15)) }, o.key), SLOT_TAKEN); // across the start
        failed(await update(b.id, { start: iso(at(14, 59)) }, o.key), SLOT_TAKEN); // 1 minute of overlap
        failed(await update(b.id, { start: iso(at(13)), end: iso(at(16)) }, o.key), SLOT_TAKEN); // around it
      });
    });

    it("allows back-to-back moves (half-open ranges)", async () => {
      const o = await organizer();
      const b = await seed(o, { startTime: at(10) });
      await seed(o, { startTime: at(14), endTime: at(15) });
      const before = data(await update(b.id, { start: iso(at(13, 30)) }, o.key), "updateBooking");
      expect(before).toMatchObject({ startTime: iso(at(13, 30)), endTime: iso(at(14)) });
      const after = data(await update(b.id, { start: iso(at(15)) }, o.key), "updateBooking");
      expect(after).toMatchObject({ startTime: iso(at(15)), endTime: iso(at(15, 30)) });
      const stored = await row(b.id);
      expect(stored.startTime.toISOString()).toBe(iso(at(15)));
      expect(stored.endTime.toISOString()).toBe(iso(at(15, 30)));
    });

    it("ignores CANCELLED, REJECTED and AWAITING_HOST bookings and other organizers' bookings when moving", async () => {
      const o = await organizer();
      const b = await seed(o, { startTime: at(10) });
      await seed(o, { startTime: at(14), status: CANCELLED });
      await seed(o, { startTime: at(14), status: REJECTED });
      await seed(o, { startTime: at(14), status: AWAITING_HOST });
      const other = await organizer();
      await seed(other, { startTime: at(14) });
      const payload = data(await update(b.id, { start: iso(at(14)) }, o.key), "updateBooking");
      expect(payload).toMatchObject({ startTime: iso(at(14)), endTime: iso(at(14, 30)), status: "ACCEPTED" });
      expect((await row(b.id)).startTime.toISOString()).toBe(iso(at(14)));
    });

    it("does not conflict with itself; bumps iCalSequence and moves the slot key with the times", async () => {
      const o = await organizer();
      const b = await seed(o, { startTime: at(10), iCalSequence: 2 });
      expect((await row(b.id)).idempotencyKey).toBe(bookingSlotKey(at(10), at(10, 30), o.user.id));
      const payload = data(await update(b.id, { start: iso(at(10, 10)) }, o.key), "updateBooking");
      const key = bookingSlotKey(at(10, 10), at(10, 40), o.user.id);
      expect(payload).toMatchObject({ startTime: iso(at(10, 10)), endTime: iso(at(10, 40)), iCalSequence: 3, idempotencyKey: key });
      const stored = await row(b.id);
      expect(stored.startTime.toISOString()).toBe(iso(at(10, 10)));
      expect(stored.endTime.toISOString()).toBe(iso(at(10, 40)));
      expect(stored.iCalSequence).toBe(3);
      expect(stored.idempotencyKey).toBe(key);
      expect(stored.idempotencyKey).toBe(
        // the formula itself, independently of the helper's inputs
        bookingSlotKey(new Date(Date.UTC(2031, 2, 10, 10, 10)), new Date(Date.UTC(2031, 2, 10, 10, 40)), o.user.id),
      );
    });

    it("keeps the duration when only start is given, and the start when only end is given", async () => {
      const o = await organizer();
      const b = await seed(o, { startTime: at(10), endTime: at(11) });
      const moved = data(await update(b.id, { start: iso(at(14)) }, o.key), "updateBooking");
      expect(moved).toMatchObject({ startTime: iso(at(14)), endTime: iso(at(15)), iCalSequence: 1 });
      const stretched = data(await update(b.id, { end: iso(at(15, 30)) }, o.key), "updateBooking");
      expect(stretched).toMatchObject({ startTime: iso(at(14)), endTime: iso(at(15, 30)), iCalSequence: 2 });
      const stored = await row(b.id);
      expect([stored.startTime.toISOString(), stored.endTime.toISOString()]).toEqual([iso(at(14)), iso(at(15, 30))]);
      expect(stored.idempotencyKey).toBe(bookingSlotKey(at(14), at(15, 30), o.user.id));
    });

    it("re-checks the slot when moving an AWAITING_HOST booking too (same rule as rescheduling it)", async () => {
      const o = await organizer();
      const b = await seed(o, { status: AWAITING_HOST, startTime: at(10) });
      await seed(o, { startTime: at(14) });
      await unchangedBy(async () => failed(await update(b.id, { start: iso(at(14)) }, o.key), SLOT_TAKEN));
      await unchangedBy(async () => failed(await reschedule(b.id, o.key, at(14)), SLOT_TAKEN));
    });

    it("moves a PENDING booking without giving it a slot key", async () => {
      const o = await organizer();
      const b = await seed(o, { status: PENDING });
      const payload = data(await update(b.id, { start: iso(at(16)) }, o.key), "updateBooking");
      expect(payload).toMatchObject({ status: "PENDING", startTime: iso(at(16)), iCalSequence: 1, idempotencyKey: null });
      expect((await row(b.id)).idempotencyKey).toBeNull();
    });

    it("respects the event type's afterEventBuffer for the moved booking", async () => {
      const o = await organizer({ afterEventBuffer: 15 });
      const plain = await createEventType(ds, { userId: o.user.id });
      const b = await seed(o, { startTime: at(9) });
      await seed(o, { startTime: at(12), eventTypeId: plain.id });
      // Ends 11:50, +15 min buffer reaches 12:05: overlaps the 12:00 booking.
      await unchangedBy(async () => failed(await update(b.id, { start: iso(at(11, 20)) }, o.key), SLOT_TAKEN));
      // Ends 11:45, buffer up to 12:00 exactly: back-to-back, fine.
      const ok = data(await update(b.id, { start: iso(at(11, 15)) }, o.key), "updateBooking");
      expect(ok).toMatchObject({ startTime: iso(at(11, 15)), endTime: iso(at(11, 45)) });
    });

    it("respects the event type's beforeEventBuffer for the moved booking", async () => {
      const o = await organizer({ beforeEventBuffer: 15 });
      const plain = await createEventType(ds, { userId: o.user.id });
      const b = await seed(o, { startTime: at(15) });
      await seed(o, { startTime: at(9), eventTypeId: plain.id }); // 9:00-9:30
      await unchangedBy(async () => failed(await update(b.id, { start: iso(at(9, 40)) }, o.key), SLOT_TAKEN));
      const ok = data(await update(b.id, { start: iso(at(9, 45)) }, o.key), "updateBooking");
      expect(ok).toMatchObject({ startTime: iso(at(9, 45)), endTime: iso(at(10, 15)) });
    });

    it("refuses to move a CANCELLED or REJECTED booking (INVALID_TRANSITION)", async () => {
      const o = await organizer();
      const c = await seed(o, { status: CANCELLED });
      const r = await seed(o, { status: REJECTED });
      await unchangedBy(async () => {
        failed(await update(c.id, { start: iso(at(13)) }, o.key), INVALID_TRANSITION);
        failed(await update(r.id, { start: iso(at(13)) }, o.key), INVALID_TRANSITION);
      });
    });
  });

  // -------------------------------------------------------------------------------------------
  // 3. status through updateBooking

  describe("updateBooking: status transitions", () => {
    const allowed: Array<[BookingStatus, BookingStatus]> = [
      [PENDING, ACCEPTED],
      [PENDING, REJECTED],
      [PENDING, CANCELLED],
      [AWAITING_HOST, ACCEPTED],
      [AWAITING_HOST, CANCELLED],
      [ACCEPTED, CANCELLED],
    ];
    const forbidden: Array<[BookingStatus, BookingStatus]> = [];
    for (const from of ALL_STATUSES) {
      for (const to of ALL_STATUSES) {
        if (from !== to && !allowed.some(([f, t]) => f === from && t === to)) forbidden.push([from, to]);
      }
    }

    it("has 14 forbidden pairs, among them REJECTED→ACCEPTED, CANCELLED→ACCEPTED and ACCEPTED→PENDING", () => {
      expect(forbidden).toHaveLength(14);
      expect(forbidden).toEqual(
        expect.arrayContaining([
          [REJECTED, ACCEPTED],
          [CANCELLED, ACCEPTED],
          [ACCEPTED, PENDING],
        ]),
      );
    });

    it.each(allowed.map(([f, t]) => [API[f], API[t], f, t] as const))("allows %s → %s", async (_f, _t, from, to) => {
      const o = await organizer();
      const b = await seed(o, { status: from, startTime: at(10) });
      const payload = data(await update(b.id, { status: API[to] }, o.key), "updateBooking");
      expect(payload.status).toBe(API[to]);
      const stored = await row(b.id);
      expect(stored.status).toBe(to);
      expect(stored.updatedAt).not.toBeNull();
      if (to === ACCEPTED) {
        expect(stored.idempotencyKey).toBe(bookingSlotKey(at(10), at(10, 30), o.user.id));
        expect(payload.idempotencyKey).toBe(stored.idempotencyKey);
      } else {
        expect(stored.idempotencyKey).toBeNull();
        expect(payload.idempotencyKey).toBeNull();
      }
      if (to === CANCELLED) expect(stored.cancelledBy).toBe(o.user.email);
      // times untouched by a pure status change
      expect(stored.startTime.toISOString()).toBe(iso(at(10)));
    });

    it.each(forbidden.map(([f, t]) => [API[f], API[t], f, t] as const))(
      "refuses %s → %s with CONFLICT / INVALID_TRANSITION and changes nothing",
      async (_f, _t, from, to) => {
        const o = await organizer();
        const b = await seed(o, { status: from });
        await unchangedBy(async () => failed(await update(b.id, { status: API[to] }, o.key), INVALID_TRANSITION));
      },
    );

    it.each(ALL_STATUSES.map((s) => [API[s], s] as const))("setting %s again changes nothing", async (_label, status) => {
      const o = await organizer();
      const b = await seed(o, { status, updatedAt: new Date(Date.UTC(2030, 6, 1, 12)) });
      const before = await rowText(b.id);
      const payload = data(await update(b.id, { status: API[status] }, o.key), "updateBooking");
      expect(payload.status).toBe(API[status]);
      expect(payload.updatedAt).toBe("2030-07-01T12:00:00.000Z");
      expect(await rowText(b.id)).toBe(before);
      expect((await row(b.id)).updatedAt.toISOString()).toBe("2030-07-01T12:00:00.000Z");
    });

    it("setting ACCEPTED again on an ACCEPTED booking stored without a slot key (older Cal.com rows) changes nothing", async () => {
      const o = await organizer();
      const b = await seed(o, { status: ACCEPTED, idempotencyKey: null, updatedAt: new Date(Date.UTC(2030, 6, 1, 12)) });
      const before = await rowText(b.id);
      data(await update(b.id, { status: "ACCEPTED" }, o.key), "updateBooking");
      expect(await rowText(b.id)).toBe(before);
    });

    it("PENDING → ACCEPTED re-checks the slot: SLOT_TAKEN when another ACCEPTED booking overlaps", async () => {
      const o = await organizer();
      const b = await seed(o, { status: PENDING, startTime: at(10) });
      await seed(o, { startTime: at(10, 15) });
      await unchangedBy(async () => failed(await update(b.id, { status: "ACCEPTED" }, o.key), SLOT_TAKEN));
    });

    it("AWAITING_HOST → ACCEPTED re-checks the slot too", async () => {
      const o = await organizer();
      const b = await seed(o, { status: AWAITING_HOST, startTime: at(10) });
      await seed(o, { startTime: at(9, 45) });
      await unchangedBy(async () => failed(await update(b.id, { status: "ACCEPTED" }, o.key), SLOT_TAKEN));
    });

    it("a status change and a move together: PENDING → ACCEPTED at new times takes the new slot's key", async () => {
      const o = await organizer();
      const b = await seed(o, { status: PENDING, startTime: at(10) });
      const payload = data(await update(b.id, { status: "ACCEPTED", start: iso(at(12)) }, o.key), "updateBooking");
      expect(payload).toMatchObject({ status: "ACCEPTED", startTime: iso(at(12)), endTime: iso(at(12, 30)), iCalSequence: 1 });
      expect((await row(b.id)).idempotencyKey).toBe(bookingSlotKey(at(12), at(12, 30), o.user.id));
    });
  });

  // -------------------------------------------------------------------------------------------
  // 4. cancelBooking

  describe("cancelBooking", () => {
    it("cancels: status, reason, cancelledBy, idempotencyKey null, iCalSequence + 1", async () => {
      const o = await organizer();
      const b = await seed(o, { iCalSequence: 4 });
      const payload = data(await cancel(b.id, o.key, "Sick"), "cancelBooking");
      expect(payload).toMatchObject({
        id: b.id,
        status: "CANCELLED",
        cancellationReason: "Sick",
        idempotencyKey: null,
        iCalSequence: 5,
        attendees: [{ email: `guest.${o.user.id}@example.test`, name: "Guest Person" }],
      });
      const stored = await row(b.id);
      expect(stored).toMatchObject({
        status: CANCELLED,
        cancellationReason: "Sick",
        cancelledBy: o.user.email,
        idempotencyKey: null,
        iCalSequence: 5,
      });
      expect(stored.startTime.toISOString()).toBe(iso(at(10)));
      expect(await attendeesOf(b.id)).toHaveLength(1);
    });

    it.each([PENDING, AWAITING_HOST])("cancels a %s booking", async (status) => {
      const o = await organizer();
      const b = await seed(o, { status });
      expect(data(await cancel(b.id, o.key), "cancelBooking").status).toBe("CANCELLED");
      expect((await row(b.id)).status).toBe(CANCELLED);
    });

    it("cancelling again is CONFLICT / ALREADY_CANCELLED; a REJECTED booking is INVALID_TRANSITION", async () => {
      const o = await organizer();
      const b = await seed(o);
      data(await cancel(b.id, o.key, "first"), "cancelBooking");
      const r = await seed(o, { status: REJECTED, startTime: at(12) });
      await unchangedBy(async () => {
        failed(await cancel(b.id, o.key, "second"), { code: "CONFLICT", reason: "ALREADY_CANCELLED" });
        failed(await cancel(r.id, o.key), INVALID_TRANSITION);
      });
      expect((await row(b.id)).cancellationReason).toBe("first");
    });

    it("allRemainingBookings cancels this occurrence and the later ones of its series only", async () => {
      const o = await organizer();
      const series = "series-a";
      const occ = [];
      for (let week = 0; week < 4; week += 1) {
        occ.push(await seed(o, { startTime: at(10, 0, 3 + 7 * week), recurringEventId: series }));
      }
      const otherSeries = await seed(o, { startTime: at(10, 0, 30), recurringEventId: "series-b" });
      const single = await seed(o, { startTime: at(10, 0, 31) });
      const payload = data(await cancel(occ[1].id, o.key, "Stopping", true), "cancelBooking");
      expect(payload).toMatchObject({ id: occ[1].id, status: "CANCELLED" });

      const statuses = async (ids: number[]) => Promise.all(ids.map(async (id) => (await row(id)).status));
      expect(await statuses(occ.map((b) => b.id))).toEqual([ACCEPTED, CANCELLED, CANCELLED, CANCELLED]);
      expect(await statuses([otherSeries.id, single.id])).toEqual([ACCEPTED, ACCEPTED]);
      for (const b of occ.slice(1)) {
        expect(await row(b.id)).toMatchObject({ idempotencyKey: null, cancellationReason: "Stopping", cancelledBy: o.user.email });
      }
      expect((await row(occ[0].id)).idempotencyKey).toBe(bookingSlotKey(at(10, 0, 3), at(10, 30, 3), o.user.id));
    });

    it("without allRemainingBookings, cancels only this occurrence", async () => {
      const o = await organizer();
      const a = await seed(o, { startTime: at(10, 0, 3), recurringEventId: "series-c" });
      const b = await seed(o, { startTime: at(10, 0, 10), recurringEventId: "series-c" });
      data(await cancel(a.id, o.key), "cancelBooking");
      expect((await row(a.id)).status).toBe(CANCELLED);
      expect((await row(b.id)).status).toBe(ACCEPTED);
    });

    it("frees the slot: another booking of the organizer can move into it, taking the same slot key", async () => {
      const o = await organizer();
      const a = await seed(o, { startTime: at(10) });
      const b = await seed(o, { startTime: at(13) });
      failed(await update(b.id, { start: iso(at(10)) }, o.key), SLOT_TAKEN);
      data(await cancel(a.id, o.key), "cancelBooking");
      const moved = data(await update(b.id, { start: iso(at(10)) }, o.key), "updateBooking");
      const key = bookingSlotKey(at(10), at(10, 30), o.user.id);
      expect(moved).toMatchObject({ startTime: iso(at(10)), idempotencyKey: key });
      expect((await row(b.id)).idempotencyKey).toBe(key);
    });

    it("frees the slot for createBooking on the organizer's event type", async () => {
      const o = await organizer({ minimumBookingNotice: 0 });
      const a = await seed(o, { startTime: at(11) });
      const booker = await createViewer(ds);
      const input = {
        eventTypeId: o.et.id,
        start: iso(at(11)),
        timeZone: "Europe/Berlin",
        responses: { name: "Second Booker", email: "second.booker@example.test" },
      };
      failed(await gw.gql(CREATE, { input }, booker.key), SLOT_TAKEN);
      data(await cancel(a.id, o.key), "cancelBooking");
      const created = data(await gw.gql(CREATE, { input }, booker.key), "createBooking");
      expect(created).toMatchObject({
        status: "ACCEPTED",
        startTime: iso(at(11)),
        endTime: iso(at(11, 30)),
        userId: o.user.id,
        idempotencyKey: bookingSlotKey(at(11), at(11, 30), o.user.id),
      });
    });
  });

  // -------------------------------------------------------------------------------------------
  // 5. rescheduleBooking

  describe("rescheduleBooking", () => {
    it("creates the new booking with the old one's details and cancels the old one", async () => {
      const o = await organizer();
      const old = await createBooking(ds, {
        userId: o.user.id,
        userPrimaryEmail: o.user.email,
        eventTypeId: o.et.id,
        startTime: at(10),
        endTime: at(10, 45),
        status: ACCEPTED,
        idempotencyKey: bookingSlotKey(at(10), at(10, 45), o.user.id),
        title: "Design review",
        description: "Bring drafts",
        location: "integrations:daily",
        responses: { name: "Ann Booker", email: "ann@example.test", notes: "hi", location: { value: "integrations:daily" } },
        metadata: { source: "test", ref: "42" },
        iCalUID: "fixed-ical-uid@Cal.com",
        iCalSequence: 2,
        attendees: [
          { email: "ann@example.test", name: "Ann Booker", timeZone: "Europe/Berlin" },
          { email: "Bob.Guest@Example.test", name: "Bob Guest", timeZone: "America/Chicago" },
        ],
      });
      const oldAttendees = await attendeesOf(old.id);
      const res = await reschedule(old.id, o.key, at(15), undefined, "Conflict with another meeting");
      const fresh = data(res, "rescheduleBooking");

      // the response is the new booking, with its nested attendees
      expect(fresh.id).not.toBe(old.id);
      expect(fresh.uid).not.toBe(old.uid);
      expect(fresh).toMatchObject({
        status: "ACCEPTED",
        startTime: iso(at(15)),
        endTime: iso(at(15, 45)),
        userId: o.user.id,
        eventTypeId: o.et.id,
        title: "Design review",
        description: "Bring drafts",
        location: "integrations:daily",
        responses: { name: "Ann Booker", email: "ann@example.test", notes: "hi", location: { value: "integrations:daily" } },
        metadata: { source: "test", ref: "42" },
        fromReschedule: old.uid,
        iCalUID: "fixed-ical-uid@Cal.com",
        iCalSequence: 3,
        cancellationReason: "Conflict with another meeting",
        idempotencyKey: bookingSlotKey(at(15), at(15, 45), o.user.id),
      });
      expect(fresh.attendees).toEqual([
        { email: "ann@example.test", name: "Ann Booker" },
        { email: "Bob.Guest@Example.test", name: "Bob Guest" },
      ]);

      const stored = await row(fresh.id);
      expect(stored).toMatchObject({
        userId: o.user.id,
        eventTypeId: o.et.id,
        status: ACCEPTED,
        title: "Design review",
        description: "Bring drafts",
        location: "integrations:daily",
        fromReschedule: old.uid,
        iCalUID: "fixed-ical-uid@Cal.com",
        iCalSequence: 3,
        cancellationReason: "Conflict with another meeting",
        metadata: { source: "test", ref: "42" },
        responses: { name: "Ann Booker", email: "ann@example.test", notes: "hi", location: { value: "integrations:daily" } },
        idempotencyKey: bookingSlotKey(at(15), at(15, 45), o.user.id),
      });
      expect([stored.startTime.toISOString(), stored.endTime.toISOString()]).toEqual([iso(at(15)), iso(at(15, 45))]);
      expect(await attendeesOf(fresh.id)).toEqual(oldAttendees);

      const prev = await row(old.id);
      expect(prev).toMatchObject({ status: CANCELLED, rescheduled: true, rescheduledBy: o.user.email, idempotencyKey: null });
      expect([prev.startTime.toISOString(), prev.endTime.toISOString()]).toEqual([iso(at(10)), iso(at(10, 45))]);
      expect(await attendeesOf(old.id)).toEqual(oldAttendees);

      // a later read shows both sides
      const read = await gw.gql(`query($id: Int) { booking(id: $id) { status rescheduled attendees { email } } }`, { id: old.id }, o.key);
      expect(read.body.data!.booking).toEqual({
        status: "CANCELLED",
        rescheduled: true,
        attendees: [{ email: "ann@example.test" }, { email: "Bob.Guest@Example.test" }],
      });
    });

    it("uses an explicit end, and keeps PENDING / AWAITING_HOST status (no slot key)", async () => {
      const o = await organizer();
      const p = await seed(o, { status: PENDING, startTime: at(9) });
      const w = await seed(o, { status: AWAITING_HOST, startTime: at(10) });
      // An explicit end must give an allowed duration: here the old one (30 minutes).
      const fromPending = data(await reschedule(p.id, o.key, at(13), at(13, 30)), "rescheduleBooking");
      expect(fromPending).toMatchObject({ status: "PENDING", startTime: iso(at(13)), endTime: iso(at(13, 30)), idempotencyKey: null });
      const fromAwaiting = data(await reschedule(w.id, o.key, at(16)), "rescheduleBooking");
      expect(fromAwaiting).toMatchObject({ status: "AWAITING_HOST", startTime: iso(at(16)), endTime: iso(at(16, 30)) });
      expect(await row(p.id)).toMatchObject({ status: CANCELLED, rescheduled: true });
      expect(await row(w.id)).toMatchObject({ status: CANCELLED, rescheduled: true });
    });

    it("may move into a slot that overlaps only the old booking, or into exactly the same slot", async () => {
      const o = await organizer();
      const old = await seed(o, { startTime: at(10), endTime: at(11) });
      const shifted = data(await reschedule(old.id, o.key, at(10, 30)), "rescheduleBooking");
      expect(shifted).toMatchObject({ startTime: iso(at(10, 30)), endTime: iso(at(11, 30)) });
      const same = data(await reschedule(shifted.id, o.key, at(10, 30)), "rescheduleBooking");
      expect(same).toMatchObject({
        startTime: iso(at(10, 30)),
        endTime: iso(at(11, 30)),
        iCalSequence: 2,
        idempotencyKey: bookingSlotKey(at(10, 30), at(11, 30), o.user.id),
      });
      expect(await row(shifted.id)).toMatchObject({ status: CANCELLED, idempotencyKey: null });
    });

    it.each([ACCEPTED, PENDING])("into another %s booking's slot is SLOT_TAKEN and changes nothing", async (status) => {
      const o = await organizer();
      const old = await seed(o, { startTime: at(10) });
      await seed(o, { startTime: at(14), status });
      await unchangedBy(async () => failed(await reschedule(old.id, o.key, at(13, 45)), SLOT_TAKEN));
    });

    it("refuses CANCELLED and REJECTED bookings (INVALID_TRANSITION), a past start and end ≤ start", async () => {
      const o = await organizer();
      const c = await seed(o, { status: CANCELLED });
      const r = await seed(o, { status: REJECTED, startTime: at(11) });
      const a = await seed(o, { startTime: at(12) });
      await unchangedBy(async () => {
        failed(await reschedule(c.id, o.key, at(15)), INVALID_TRANSITION);
        failed(await reschedule(r.id, o.key, at(15)), INVALID_TRANSITION);
        failed(await reschedule(a.id, o.key, new Date(Date.UTC(2021, 0, 1, 10))), { code: "BAD_USER_INPUT", field: "start" });
        failed(await reschedule(a.id, o.key, at(15), at(15)), { code: "BAD_USER_INPUT", field: "end" });
      });
    });

    it("lets an attendee reschedule; rescheduledBy is their e-mail", async () => {
      const o = await organizer();
      const attendee = await createViewer(ds, { email: `resched.attendee.${Date.now()}@example.test` });
      const old = await seed(o, { attendees: [{ email: attendee.user.email.toUpperCase(), name: "Att" }] });
      const fresh = data(await reschedule(old.id, attendee.key, at(17)), "rescheduleBooking");
      expect(fresh.attendees).toEqual([{ email: attendee.user.email.toUpperCase(), name: "Att" }]);
      expect((await row(old.id)).rescheduledBy).toBe(attendee.user.email);
    });
  });

  // -------------------------------------------------------------------------------------------
  // 6. confirmBooking and rejectBooking

  describe("confirmBooking / rejectBooking", () => {
    it.each([PENDING, AWAITING_HOST])("confirms a %s booking and gives it the slot key", async (status) => {
      const o = await organizer();
      const b = await seed(o, { status, startTime: at(10) });
      const payload = data(await confirm(b.id, o.key), "confirmBooking");
      const key = bookingSlotKey(at(10), at(10, 30), o.user.id);
      expect(payload).toMatchObject({ id: b.id, status: "ACCEPTED", idempotencyKey: key });
      expect(await row(b.id)).toMatchObject({ status: ACCEPTED, idempotencyKey: key });
    });

    it.each([ACCEPTED, CANCELLED, REJECTED])("confirming a %s booking is INVALID_TRANSITION", async (status) => {
      const o = await organizer();
      const b = await seed(o, { status });
      await unchangedBy(async () => failed(await confirm(b.id, o.key), INVALID_TRANSITION));
    });

    it("confirming when another ACCEPTED booking of the organizer overlaps is SLOT_TAKEN", async () => {
      const o = await organizer();
      const b = await seed(o, { status: PENDING, startTime: at(10) });
      await seed(o, { startTime: at(10, 29) });
      await unchangedBy(async () => failed(await confirm(b.id, o.key), SLOT_TAKEN));
    });

    it("confirms back-to-back with an ACCEPTED booking", async () => {
      const o = await organizer();
      const b = await seed(o, { status: PENDING, startTime: at(10) });
      await seed(o, { startTime: at(10, 30) });
      expect(data(await confirm(b.id, o.key), "confirmBooking").status).toBe("ACCEPTED");
    });

    it("rejects a PENDING booking: rejectionReason, idempotencyKey null", async () => {
      const o = await organizer();
      // A stray key on a pending row: reject must clear it whatever it holds.
      const b = await seed(o, { status: PENDING, idempotencyKey: bookingSlotKey(at(10), at(10, 30), o.user.id) });
      const payload = data(await reject(b.id, o.key, "Not available"), "rejectBooking");
      expect(payload).toMatchObject({ id: b.id, status: "REJECTED", rejectionReason: "Not available", idempotencyKey: null });
      expect(await row(b.id)).toMatchObject({ status: REJECTED, rejectionReason: "Not available", idempotencyKey: null });
    });

    it.each([AWAITING_HOST, ACCEPTED, CANCELLED, REJECTED])("rejecting a %s booking is INVALID_TRANSITION", async (status) => {
      const o = await organizer();
      const b = await seed(o, { status });
      await unchangedBy(async () => failed(await reject(b.id, o.key, "no"), INVALID_TRANSITION));
    });
  });

  // -------------------------------------------------------------------------------------------
  // 7. atomicity

  describe("a failed mutation leaves the database exactly as before", () => {
    it("covers SLOT_TAKEN, INVALID_TRANSITION, FORBIDDEN, NOT_FOUND and BAD_USER_INPUT, with other changes in the same input", async () => {
      const o = await organizer({ afterEventBuffer: 5 });
      const attendee = await createViewer(ds, { email: `atomic.attendee.${Date.now()}@example.test` });
      const outsider = await createViewer(ds);
      const b = await seed(o, { startTime: at(10), description: "keep", attendees: [{ email: attendee.user.email }] });
      await seed(o, { startTime: at(12) });
      const rejected = await seed(o, { status: REJECTED, startTime: at(14) });
      const cancelled = await seed(o, { status: CANCELLED, startTime: at(15) });
      const pending = await seed(o, { status: PENDING, startTime: at(16) });
      await seed(o, { startTime: at(16, 15) });

      await unchangedBy(async () => {
        // title + a move into a taken slot: neither is written
        failed(await update(b.id, { title: "Should not stick", description: "nor this", start: iso(at(12, 15)) }, o.key), SLOT_TAKEN);
        // title + a forbidden transition
        failed(await update(b.id, { title: "Should not stick", status: "PENDING" }, o.key), INVALID_TRANSITION);
        failed(await update(rejected.id, { title: "x", status: "ACCEPTED" }, o.key), INVALID_TRANSITION);
        // title + a bad time
        failed(await update(b.id, { title: "Should not stick", start: iso(at(11)), end: iso(at(10)) }, o.key), {
          code: "BAD_USER_INPUT",
          field: "end",
        });
        // the attendee may read but not update / confirm / reject
        failed(await update(b.id, { title: "Attendee title" }, attendee.key), { code: "FORBIDDEN" });
        failed(await confirm(pending.id, attendee.key), { code: "NOT_FOUND" }); // not their booking at all
        // an outsider cannot see it
        failed(await cancel(b.id, outsider.key, "x"), { code: "NOT_FOUND" });
        failed(await reschedule(b.id, outsider.key, at(18)), { code: "NOT_FOUND" });
        // lifecycle refusals
        failed(await cancel(cancelled.id, o.key), { code: "CONFLICT", reason: "ALREADY_CANCELLED" });
        failed(await reschedule(rejected.id, o.key, at(18)), INVALID_TRANSITION);
        failed(await reschedule(b.id, o.key, at(11, 45)), SLOT_TAKEN); // 11:45-12:15 overlaps 12:00
        failed(await confirm(pending.id, o.key), SLOT_TAKEN);
        failed(await update(pending.id, { status: "ACCEPTED", title: "Should not stick" }, o.key), SLOT_TAKEN);
        failed(await reject(rejected.id, o.key, "again"), INVALID_TRANSITION);
      });
      expect((await row(b.id)).title).not.toBe("Should not stick");
    });

    it("an update of a booking the viewer does not manage is FORBIDDEN even when combined with a valid move", async () => {
      const o = await organizer();
      const attendee = await createViewer(ds, { email: `atomic2.attendee.${Date.now()}@example.test` });
      const b = await seed(o, { attendees: [{ email: attendee.user.email }] });
      await unchangedBy(async () => failed(await update(b.id, { start: iso(at(18)) }, attendee.key), { code: "FORBIDDEN" }));
      await unchangedBy(async () => failed(await confirm(b.id, attendee.key), { code: "FORBIDDEN" }));
      await unchangedBy(async () => failed(await reject(b.id, attendee.key), { code: "FORBIDDEN" }));
    });
  });

  // -------------------------------------------------------------------------------------------
  // 8. transport

  describe("mutations over GET", () => {
    it.each([
      ["with a CSRF-safe header", { "apollo-require-preflight": "true" }],
      ["as a simple request", {}],
    ])("are refused %s and change nothing", async (_label, extra) => {
      const o = await organizer();
      const b = await seed(o);
      for (const query of [
        `mutation { cancelBooking(id: ${b.id}, cancellationReason: "via GET") { id status } }`,
        `mutation { updateBooking(id: ${b.id}, input: { title: "via GET" }) { id title } }`,
      ]) {
        await unchangedBy(async () => {
          const res = await fetch(`${gw.url}/graphql?query=${encodeURIComponent(query)}`, {
            headers: { authorization: `Bearer ${o.key}`, ...extra },
          });
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
          await res.text();
        });
      }
      expect(await row(b.id)).toMatchObject({ status: ACCEPTED, cancellationReason: null });
    });
  });

  // -------------------------------------------------------------------------------------------
  // 9. nested relations in mutation responses

  describe("mutation responses show the new state of nested relations", () => {
    it("updateBooking and cancelBooking return current attendees, event type and organizer", async () => {
      const o = await organizer();
      const b = await seed(o, { attendees: [{ email: "nested@example.test", name: "Nested" }] });
      const q = `mutation($id: Int!) {
        updateBooking(id: $id, input: { title: "Nested", start: "2031-03-10T12:00:00.000Z" }) {
          title startTime attendees { email } eventType { id } user { id email }
        } }`;
      const payload = data(await gw.gql(q, { id: b.id }, o.key), "updateBooking");
      expect(payload).toEqual({
        title: "Nested",
        startTime: iso(at(12)),
        attendees: [{ email: "nested@example.test" }],
        eventType: { id: o.et.id },
        user: { id: o.user.id, email: o.user.email },
      });
      // read first (warming any cache), then cancel and read the booking in the same operation's response
      await gw.gql(`query($id: Int) { booking(id: $id) { status } }`, { id: b.id }, o.key);
      const cancelled = data(await cancel(b.id, o.key, "done"), "cancelBooking");
      expect(cancelled).toMatchObject({
        status: "CANCELLED",
        cancellationReason: "done",
        attendees: [{ email: "nested@example.test", name: "Nested" }],
      });
      const read = await gw.gql(`query($id: Int) { booking(id: $id) { status title startTime } }`, { id: b.id }, o.key);
      expect(read.body.data!.booking).toEqual({ status: "CANCELLED", title: "Nested", startTime: iso(at(12)) });
    });

    it("rescheduleBooking's result lists the copied attendees and a fresh read of the list shows both bookings", async () => {
      const o = await organizer();
      const b = await seed(o, {
        attendees: [
          { email: "one@example.test", name: "One" },
          { email: "two@example.test", name: "Two" },
        ],
      });
      const q = `mutation($id: Int!, $start: DateTime!) {
        rescheduleBooking(id: $id, start: $start) { id fromReschedule attendees { email name } eventType { id } user { id } }
      }`;
      const fresh = data(await gw.gql(q, { id: b.id, start: iso(at(13)) }, o.key), "rescheduleBooking");
      expect(fresh).toMatchObject({
        fromReschedule: b.uid,
        eventType: { id: o.et.id },
        user: { id: o.user.id },
        attendees: [
          { email: "one@example.test", name: "One" },
          { email: "two@example.test", name: "Two" },
        ],
      });
      const list = await gw.gql(`{ bookings { nodes { id status rescheduled fromReschedule } } }`, {}, o.key);
      const nodes = list.body.data!.bookings.nodes;
      expect(nodes.map((n: { id: number }) => n.id)).toEqual([b.id, fresh.id]);
      expect(nodes[0]).toEqual({ id: b.id, status: "CANCELLED", rescheduled: true, fromReschedule: null });
      expect(nodes[1]).toMatchObject({ id: fresh.id, status: "ACCEPTED", fromReschedule: b.uid });
    });
  });
});
