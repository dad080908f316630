import { randomUUID } from "node:crypto";
import type { DataSource } from "typeorm";
import {
  Attendee,
  BookingReference,
  BookingSeat,
  BookingStatus,
  DestinationCalendar,
  Payment,
  UserPermissionRole,
  WebhookScheduledTrigger,
  WorkflowMethods,
  WorkflowReminder,
} from "../src/entities";
import { createBooking, createEventType, createViewer } from "./support/factories";
import { createTestDatabase, dropTestDatabase, startTestGateway, type TestGateway } from "./support/harness";
import type { AnyJson } from "./support/json";
import { snapshotTables } from "./support/snapshot";

/**
 * Least privilege (contract, "Robustness"): a viewer who reads a booking only as its attendee sees
 * nothing organizer-internal; a seat holder sees only their own seat, and cancels or reschedules only
 * it. Checked on every read path (list, connection, by id, by uid, fragments, aliases, batches) and,
 * as a property, for every viewer and booking of a generated data set.
 */

const FIELDS = `
  id uid responses
  attendees { id email name }
  seatsReferences { id attendeeId referenceUid data }
  payment { id amount data externalId }
  references { id type meetingUrl credentialId externalCalendarId }
  destinationCalendar { id externalId }
  workflowReminders { id referenceId }
  scheduledTriggers { id subscriberUrl payload }
`;

/** A booking as FIELDS reads it. */
interface BookingView {
  id: number;
  uid: string;
  responses: unknown;
  attendees: Array<{ id: number; email: string; name: string }>;
  seatsReferences: Array<{ id: number; attendeeId: number; referenceUid: string; data: unknown }>;
  payment: Array<{ id: number; amount: number; data: unknown; externalId: string | null }>;
  references: Array<{
    id: number;
    type: string;
    meetingUrl: string | null;
    credentialId: number | null;
    externalCalendarId: string | null;
  }>;
  destinationCalendar: { id: number; externalId: string } | null;
  workflowReminders: Array<{ id: number; referenceId: string | null }>;
  scheduledTriggers: Array<{ id: number; subscriberUrl: string; payload: unknown }>;
}

/** Every read path, each returning the bookings it read (one or a list). */
const READ_PATHS: Array<{ name: string; query: (b: { id: number; uid: string }) => string; pick: (data: AnyJson) => BookingView[] }> = [
  { name: "bookings", query: () => `{ bookings(take: 250) { nodes { ${FIELDS} } } }`, pick: (d) => d.bookings.nodes },
  {
    name: "bookingsConnection",
    query: () => `{ bookingsConnection(first: 250) { edges { node { ${FIELDS} } } } }`,
    pick: (d) => d.bookingsConnection.edges.map((e: { node: BookingView }) => e.node),
  },
  { name: "booking(id)", query: (b) => `{ booking(id: ${b.id}) { ${FIELDS} } }`, pick: (d) => [d.booking] },
  { name: "booking(uid)", query: (b) => `{ booking(uid: "${b.uid}") { ${FIELDS} } }`, pick: (d) => [d.booking] },
  {
    name: "fragment + alias",
    query: (b) => `query { mine: booking(id: ${b.id}) { ...F } } fragment F on Booking { ${FIELDS} }`,
    pick: (d) => [d.mine],
  },
];

interface World {
  organizer: { id: number; email: string; key: string };
  attendee: { id: number; email: string; key: string };
  seatA: { id: number; email: string; key: string };
  seatB: { id: number; email: string; key: string };
  outsider: { key: string };
  plainId: number;
  seatedId: number;
  seatedEventTypeId: number;
}

const at = (day: number, hour: number) => new Date(Date.UTC(2033, 0, day, hour));

async function organizerInternals(ds: DataSource, bookingId: number, uid: string, userId: number) {
  await ds.getRepository(Payment).insert({
    uid: randomUUID(),
    appId: "stripe",
    bookingId,
    amount: 5000,
    fee: 10,
    currency: "usd",
    success: true,
    refunded: false,
    data: { card: "4242" },
    externalId: `pi_${randomUUID()}`,
  });
  await ds.getRepository(BookingReference).insert({
    type: "google_calendar",
    uid: `g-${bookingId}`,
    bookingId,
    externalCalendarId: "organizer@calendar.example",
    credentialId: 77,
  });
  const calendar = await ds
    .getRepository(DestinationCalendar)
    .save(
      ds
        .getRepository(DestinationCalendar)
        .create({ integration: "google_calendar", externalId: "organizer@calendar.example", userId: null, eventTypeId: null }),
    );
  await ds.query(`UPDATE "Booking" SET "destinationCalendarId" = $1 WHERE id = $2`, [calendar.id, bookingId]);
  await ds.getRepository(WorkflowReminder).insert({
    bookingUid: uid,
    method: WorkflowMethods.EMAIL,
    scheduledDate: at(1, 8),
    referenceId: `wr-${bookingId}`,
    scheduled: true,
    retryCount: 0,
  });
  await ds.getRepository(WebhookScheduledTrigger).insert({
    subscriberUrl: "https://hooks.internal.example/secret",
    payload: JSON.stringify({ organizer: userId }),
    startAfter: at(1, 8),
    retryCount: 0,
    bookingId,
  });
}

async function seed(ds: DataSource): Promise<World> {
  const o = await createViewer(ds, { name: "Olga Organizer" });
  const a = await createViewer(ds, { name: "Ann Attendee" });
  const sa = await createViewer(ds, { name: "Sam Seat" });
  const sb = await createViewer(ds, { name: "Sue Seat" });
  const outsider = await createViewer(ds);
  const plainType = await createEventType(ds, { userId: o.user.id, length: 60 });
  const seatedType = await createEventType(ds, { userId: o.user.id, length: 60, seatsPerTimeSlot: 5 });
  const plain = await createBooking(ds, {
    userId: o.user.id,
    eventTypeId: plainType.id,
    startTime: at(10, 9),
    endTime: at(10, 10),
    attendees: [
      { email: a.user.email.toUpperCase(), name: "Ann" },
      { email: "other.guest@example.test", name: "Guest" },
    ],
    responses: { name: "Ann", email: a.user.email },
  });
  await organizerInternals(ds, plain.id, plain.uid, o.user.id);
  const seated = await createBooking(ds, {
    userId: o.user.id,
    eventTypeId: seatedType.id,
    startTime: at(11, 9),
    endTime: at(11, 10),
    attendees: [
      { email: sa.user.email, name: "Sam" },
      { email: sb.user.email, name: "Sue" },
    ],
    responses: { name: "Sam", email: sa.user.email, notes: "first booker's answers" },
  });
  const seatAttendees = await ds.getRepository(Attendee).find({ where: { bookingId: seated.id }, order: { id: "ASC" } });
  for (const attendee of seatAttendees) {
    await ds.getRepository(BookingSeat).insert({
      referenceUid: randomUUID(),
      bookingId: seated.id,
      attendeeId: attendee.id,
      data: { responses: { email: attendee.email } },
      metadata: {},
    });
  }
  await organizerInternals(ds, seated.id, seated.uid, o.user.id);
  const who = (v: { user: { id: number; email: string }; key: string }) => ({ id: v.user.id, email: v.user.email, key: v.key });
  return {
    organizer: who(o),
    attendee: who(a),
    seatA: who(sa),
    seatB: who(sb),
    outsider: { key: outsider.key },
    plainId: plain.id,
    seatedId: seated.id,
    seatedEventTypeId: seatedType.id,
  };
}

/** Asserts the attendee-only view of one booking as read: nothing organizer-internal. */
function expectAttendeeView(booking: BookingView) {
  expect(booking.scheduledTriggers).toEqual([]);
  expect(booking.workflowReminders).toEqual([]);
  expect(booking.destinationCalendar).toBeNull();
  for (const p of booking.payment) expect({ data: p.data, externalId: p.externalId }).toEqual({ data: null, externalId: null });
  for (const r of booking.references) expect({ c: r.credentialId, e: r.externalCalendarId }).toEqual({ c: null, e: null });
}

/** Asserts the seat-holder view: the attendee view, and only the viewer's own entries. */
function expectSeatView(booking: BookingView, email: string) {
  expectAttendeeView(booking);
  expect(booking.responses).toBeNull();
  expect(booking.attendees.length).toBeGreaterThan(0);
  for (const a of booking.attendees) expect(a.email.toLowerCase()).toBe(email.toLowerCase());
  const own = new Set(booking.attendees.map((a) => a.id));
  expect(booking.seatsReferences.length).toBeGreaterThan(0);
  for (const s of booking.seatsReferences) expect(own.has(s.attendeeId)).toBe(true);
}

describe("least privilege: attendee and seat-holder views", () => {
  let name: string;
  let gw: TestGateway;
  let batching: TestGateway;
  let w: World;

  beforeAll(async () => {
    name = await createTestDatabase();
    gw = await startTestGateway({ databaseName: name, env: { RATE_LIMIT_PER_MINUTE: "0" } });
    batching = await startTestGateway({
      databaseName: name,
      env: { RATE_LIMIT_PER_MINUTE: "0", BATCHED_REQUESTS: "true", GRAPHQL_JIT: "false" },
    });
    w = await seed(gw.dataSource);
  });
  afterAll(async () => {
    await gw.close();
    await batching.close();
    await dropTestDatabase(name);
  });

  const read = async (key: string, query: string) => {
    // Twice: graphql-jit compiles a document the second time it runs it; both executors must agree.
    const first = await gw.gql(query, {}, key);
    const second = await gw.gql(query, {}, key);
    expect(second.body).toEqual(first.body);
    expect(first.body.errors).toBeUndefined();
    return first.body.data!;
  };

  it("an attendee sees no organizer-internal data on any read path", async () => {
    const plain = { id: w.plainId, uid: (await read(w.organizer.key, `{ booking(id: ${w.plainId}) { uid } }`)).booking.uid };
    for (const path of READ_PATHS) {
      const rows = path.pick(await read(w.attendee.key, path.query(plain))).filter((b) => b.id === w.plainId);
      expect(rows).toHaveLength(1);
      expectAttendeeView(rows[0]);
      // An attendee of an unseated booking still sees its attendee list and answers.
      expect(rows[0].attendees.map((a) => a.email.toLowerCase()).sort()).toEqual(
        [w.attendee.email.toLowerCase(), "other.guest@example.test"].sort(),
      );
      expect(rows[0].responses).toMatchObject({ name: "Ann" });
    }
  });

  it("the organizer sees everything", async () => {
    const { booking } = await read(w.organizer.key, `{ booking(id: ${w.plainId}) { ${FIELDS} } }`);
    expect(booking.scheduledTriggers[0].subscriberUrl).toBe("https://hooks.internal.example/secret");
    expect(booking.workflowReminders).toHaveLength(1);
    expect(booking.destinationCalendar.externalId).toBe("organizer@calendar.example");
    expect(booking.payment[0].data).toEqual({ card: "4242" });
    expect(booking.references[0]).toMatchObject({ credentialId: 77, externalCalendarId: "organizer@calendar.example" });
  });

  it("a seat holder sees only their own seat on any read path", async () => {
    const seated = { id: w.seatedId, uid: (await read(w.organizer.key, `{ booking(id: ${w.seatedId}) { uid } }`)).booking.uid };
    for (const holder of [w.seatA, w.seatB]) {
      for (const path of READ_PATHS) {
        const rows = path.pick(await read(holder.key, path.query(seated))).filter((b) => b.id === w.seatedId);
        expect(rows).toHaveLength(1);
        expectSeatView(rows[0], holder.email);
      }
    }
    const organizerView = (await read(w.organizer.key, `{ booking(id: ${w.seatedId}) { ${FIELDS} } }`)).booking;
    expect(organizerView.attendees).toHaveLength(2);
    expect(organizerView.seatsReferences).toHaveLength(2);
  });

  it("operations of a batch each get their own view (no shared loaders)", async () => {
    const body = [{ query: `{ booking(id: ${w.seatedId}) { ${FIELDS} } }` }, { query: `{ booking(id: ${w.plainId}) { ${FIELDS} } }` }];
    for (const holder of [w.seatA, w.attendee]) {
      const res = await fetch(`${batching.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${holder.key}` },
        body: JSON.stringify(body),
      });
      const answers = (await res.json()) as Array<{ data?: AnyJson; errors?: Array<{ extensions: { code: string } }> }>;
      const seatedAnswer = answers[0];
      if (holder === w.seatA) {
        expectSeatView(seatedAnswer.data.booking, holder.email);
        expect(answers[1].errors?.[0].extensions.code).toBe("NOT_FOUND");
      } else {
        expect(seatedAnswer.errors?.[0].extensions.code).toBe("NOT_FOUND");
        expectAttendeeView(answers[1].data.booking);
      }
    }
  });

  it("property: for every viewer and booking, a non-managing viewer never sees another person's seat or organizer-internal fields", async () => {
    const ds = gw.dataSource;
    // A generated data set: organizers with seated and plain bookings, people attending several.
    const people = await Promise.all(Array.from({ length: 6 }, (_, i) => createViewer(ds, { name: `P${i}` })));
    const organizers = people.slice(0, 2);
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const bookings: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      const organizer = organizers[i % 2];
      const seatedKind = random() < 0.5;
      const et = await createEventType(ds, { userId: organizer.user.id, length: 30, ...(seatedKind ? { seatsPerTimeSlot: 4 } : {}) });
      const guests = people.slice(2).filter(() => random() < 0.5);
      const booking = await createBooking(ds, {
        userId: organizer.user.id,
        eventTypeId: et.id,
        startTime: at(20 + i, 9),
        endTime: at(20 + i, 9),
        attendees: guests.map((g) => ({ email: g.user.email })),
        responses: { email: guests[0]?.user.email ?? "x@example.test" },
      });
      await organizerInternals(ds, booking.id, booking.uid, organizer.user.id);
      if (seatedKind) {
        for (const a of await ds.getRepository(Attendee).find({ where: { bookingId: booking.id } })) {
          await ds
            .getRepository(BookingSeat)
            .insert({ referenceUid: randomUUID(), bookingId: booking.id, attendeeId: a.id, data: {}, metadata: {} });
        }
      }
      bookings.push(booking.id);
    }
    const seatedIds = new Set<number>(
      (await ds.query(`SELECT DISTINCT "bookingId" AS id FROM "BookingSeat" WHERE "bookingId" = ANY($1)`, [bookings])).map(
        (r: { id: number }) => r.id,
      ),
    );
    for (const viewer of people.slice(2)) {
      const { bookings: page } = await read(viewer.key, `{ bookings(take: 250) { nodes { ${FIELDS} } } }`);
      const mine = page.nodes.filter((b: BookingView) => bookings.includes(b.id));
      expect(mine.length).toBeGreaterThan(0);
      for (const booking of mine) {
        if (seatedIds.has(booking.id)) expectSeatView(booking, viewer.user.email);
        else expectAttendeeView(booking);
        // The same booking by id gives the same view.
        expect((await read(viewer.key, `{ booking(id: ${booking.id}) { ${FIELDS} } }`)).booking).toEqual(booking);
      }
    }
  });

  describe("seat holders write their own seat only", () => {
    const mutate = (key: string, query: string) => gw.gql(query, {}, key);

    it("a seat holder's cancel removes only their seat; the booking goes with its last seat", async () => {
      const ds = gw.dataSource;
      const before = await ds.query(`SELECT count(*)::int AS n FROM "BookingSeat" WHERE "bookingId" = $1`, [w.seatedId]);
      expect(before[0].n).toBe(2);
      const res = await mutate(w.seatB.key, `mutation { cancelBooking(id: ${w.seatedId}) { id status attendees { email } } }`);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.cancelBooking.status).toBe("ACCEPTED");
      const rows = await ds.query(`SELECT a.email FROM "Attendee" a WHERE a."bookingId" = $1`, [w.seatedId]);
      expect(rows.map((r: { email: string }) => r.email)).toEqual([w.seatA.email]);
      const seats = await ds.query(`SELECT count(*)::int AS n FROM "BookingSeat" WHERE "bookingId" = $1`, [w.seatedId]);
      expect(seats[0].n).toBe(1);
      // Sue no longer holds a seat: the booking is no longer hers to read.
      expect((await mutate(w.seatB.key, `mutation { cancelBooking(id: ${w.seatedId}) { id } }`)).body.errors?.[0].extensions?.code).toBe(
        "NOT_FOUND",
      );
    });

    it("a seat holder's reschedule moves only their seat into the seated booking at the new time", async () => {
      const ds = gw.dataSource;
      const newStart = at(12, 9).toISOString();
      const res = await mutate(
        w.seatA.key,
        `mutation { rescheduleBooking(id: ${w.seatedId}, start: "${newStart}") { id startTime attendees { email } seatsReferences { id } } }`,
      );
      expect(res.body.errors).toBeUndefined();
      const moved = res.body.data!.rescheduleBooking;
      expect(moved.id).not.toBe(w.seatedId);
      expect(moved.startTime).toBe(newStart);
      expect(moved.attendees.map((a: { email: string }) => a.email)).toEqual([w.seatA.email]);
      expect(moved.seatsReferences).toHaveLength(1);
      // Sam's was the last seat of the old booking: it is cancelled, and keeps its organizer-side rows.
      const [old] = await ds.query(`SELECT status FROM "Booking" WHERE id = $1`, [w.seatedId]);
      expect(old.status).toBe(BookingStatus.CANCELLED);
    });

    it("joining a seated slot answers with the joiner's own view", async () => {
      const start = at(12, 9).toISOString();
      const joiner = await createViewer(gw.dataSource, { name: "Jo Joiner" });
      const res = await mutate(
        joiner.key,
        `mutation { createBooking(input: { eventTypeId: ${w.seatedEventTypeId}, start: "${start}", timeZone: "UTC",
        responses: { name: "Jo", email: "${joiner.user.email}" } }) { id responses attendees { email } seatsReferences { attendeeId } scheduledTriggers { id } } }`,
      );
      expect(res.body.errors).toBeUndefined();
      const joined = res.body.data!.createBooking;
      expect(joined.attendees.map((a: { email: string }) => a.email)).toEqual([joiner.user.email]);
      expect(joined.seatsReferences).toHaveLength(1);
      expect(joined.responses).toBeNull();
      expect(joined.scheduledTriggers).toEqual([]);
    });

    it("the organizer's reschedule of a seated booking carries every seat over", async () => {
      const ds = gw.dataSource;
      const [booking] = await ds.query(
        `SELECT b.id FROM "Booking" b WHERE b."eventTypeId" = $1 AND b.status = 'accepted' ORDER BY b.id DESC LIMIT 1`,
        [w.seatedEventTypeId],
      );
      const seatsBefore = await ds.query(`SELECT "referenceUid" FROM "BookingSeat" WHERE "bookingId" = $1 ORDER BY "referenceUid"`, [
        booking.id,
      ]);
      expect(seatsBefore.length).toBe(2);
      const res = await mutate(
        w.organizer.key,
        `mutation { rescheduleBooking(id: ${booking.id}, start: "${at(14, 9).toISOString()}") { id attendees { id email } seatsReferences { referenceUid attendeeId } } }`,
      );
      expect(res.body.errors).toBeUndefined();
      const next = res.body.data!.rescheduleBooking;
      expect(next.seatsReferences.map((s: { referenceUid: string }) => s.referenceUid).sort()).toEqual(
        seatsBefore.map((s: { referenceUid: string }) => s.referenceUid).sort(),
      );
      const attendeeIds = new Set(next.attendees.map((a: { id: number }) => a.id));
      for (const seat of next.seatsReferences) expect(attendeeIds.has(seat.attendeeId)).toBe(true);
      // The old booking keeps its attendees but no seats: its former seat holders still see only themselves.
      const old = (await read(w.seatA.key, `{ booking(id: ${booking.id}) { ${FIELDS} } }`)).booking;
      expect(old.attendees.map((a: { email: string }) => a.email)).toEqual([w.seatA.email]);
      expect(old.responses).toBeNull();
      expect(old.seatsReferences).toEqual([]);
      expectAttendeeView(old);
    });

    it("a seat holder cannot probe who else holds a seat with the attendeeEmail filter", async () => {
      const [other] = await gw.dataSource.query(
        `SELECT a.email FROM "Attendee" a JOIN "Booking" b ON b.id = a."bookingId" WHERE b."eventTypeId" = $1 AND lower(a.email) <> lower($2) LIMIT 1`,
        [w.seatedEventTypeId, w.seatA.email],
      );
      const probe = await read(
        w.seatA.key,
        `{ bookings(take: 50, filter: { attendeeEmail: "${other.email}" }) { totalCount nodes { id } } }`,
      );
      expect(probe.bookings.totalCount).toBe(0);
      const own = await read(w.seatA.key, `{ bookings(take: 50, filter: { attendeeEmail: "${w.seatA.email}" }) { totalCount } }`);
      expect(own.bookings.totalCount).toBeGreaterThan(0);
    });

    it("an outsider can do nothing to a seated booking, and nothing is written", async () => {
      const ds = gw.dataSource;
      const before = await snapshotTables(ds);
      for (const q of [
        `mutation { cancelBooking(id: ${w.seatedId}) { id } }`,
        `mutation { rescheduleBooking(id: ${w.seatedId}, start: "${at(15, 9).toISOString()}") { id } }`,
      ]) {
        expect((await mutate(w.outsider.key, q)).body.errors?.[0].extensions?.code).toBe("NOT_FOUND");
      }
      expect(await snapshotTables(ds)).toEqual(before);
    });
  });

  it("a system admin sees everything of a seated booking", async () => {
    const admin = await createViewer(gw.dataSource, { role: UserPermissionRole.ADMIN });
    const { booking } = await read(admin.key, `{ booking(id: ${w.plainId}) { ${FIELDS} } }`);
    expect(booking.scheduledTriggers).toHaveLength(1);
  });
});
