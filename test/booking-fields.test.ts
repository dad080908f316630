import { randomUUID } from "node:crypto";
import type { DataSource } from "typeorm";
import {
  Attendee,
  BookingReference,
  BookingSeat,
  DestinationCalendar,
  InstantMeetingToken,
  Payment,
  PaymentOption,
  UserPermissionRole,
  WebhookScheduledTrigger,
  WorkflowMethods,
  WorkflowReminder,
} from "../src/entities";
import { createBooking, createEventType, createTeam, createViewer } from "./support/factories";
import { startTestGateway, type TestGateway } from "./support/harness";

const ALL_FIELDS = `
  id uid idempotencyKey userId userPrimaryEmail eventTypeId title description responses location
  startTime endTime createdAt updatedAt status paid destinationCalendarId cancellationReason rejectionReason
  dynamicEventSlugRef dynamicGroupSlugRef rescheduled fromReschedule recurringEventId smsReminderNumber metadata
  isRecorded iCalUID iCalSequence rating ratingFeedback noShowHost cancelledBy rescheduledBy
  user { id username name email timeZone locale role }
  eventType { id title slug description length hidden userId teamId requiresConfirmation minimumBookingNotice price currency locations owner { id email } }
  attendees { id email name timeZone phoneNumber locale bookingId noShow }
  payment { id uid appId bookingId amount fee currency success refunded data externalId paymentOption }
  references { id type uid meetingId meetingPassword meetingUrl bookingId externalCalendarId deleted credentialId thirdPartyRecurringEventId }
  destinationCalendar { id integration externalId primaryEmail userId eventTypeId credentialId }
  workflowReminders { id bookingUid method scheduledDate referenceId scheduled workflowStepId cancelled seatReferenceId isMandatoryReminder retryCount }
  seatsReferences { id referenceUid bookingId attendeeId data metadata }
  instantMeetingToken { id token expires teamId bookingId createdAt updatedAt }
  scheduledTriggers { id jobName subscriberUrl payload startAfter retryCount createdAt appId webhookId bookingId }
`;

/** A booking with one or more rows in every related table. */
async function richBooking(ds: DataSource, organizerId: number, eventTypeId: number, teamId: number, start: Date, attendeeEmail: string) {
  const booking = await createBooking(ds, {
    userId: organizerId,
    eventTypeId,
    startTime: start,
    endTime: new Date(start.getTime() + 3_600_000),
    attendees: [{ email: attendeeEmail, name: "Ann Attendee" }, { email: `guest-${randomUUID()}@example.test` }],
    responses: { name: "Ann Attendee", email: attendeeEmail, location: { value: "integrations:daily", optionValue: "" } },
    metadata: { source: "test" },
    location: "integrations:daily",
    iCalUID: `${randomUUID()}@Cal.com`,
  });
  const [firstAttendee] = await ds.getRepository(Attendee).find({ where: { bookingId: booking.id }, order: { id: "ASC" } });
  await ds.getRepository(Payment).insert({
    uid: randomUUID(),
    appId: "stripe",
    bookingId: booking.id,
    amount: 5000,
    fee: 175,
    currency: "usd",
    success: true,
    refunded: false,
    data: { charge: "ch_1" },
    externalId: `pi_${randomUUID()}`,
    paymentOption: PaymentOption.ON_BOOKING,
  });
  await ds.getRepository(BookingReference).insert([
    {
      type: "daily_video",
      uid: `daily-${booking.id}`,
      meetingId: "m1",
      meetingPassword: "pw",
      meetingUrl: "https://daily.example/m1",
      bookingId: booking.id,
    },
    { type: "google_calendar", uid: `gcal-${booking.id}`, externalCalendarId: "primary", bookingId: booking.id, deleted: false },
  ]);
  await ds.getRepository(WorkflowReminder).insert({
    bookingUid: booking.uid,
    method: WorkflowMethods.SMS,
    scheduledDate: new Date(start.getTime() - 86_400_000),
    referenceId: `ref-${booking.id}`,
    scheduled: true,
    retryCount: 0,
  });
  await ds.getRepository(BookingSeat).insert({
    referenceUid: randomUUID(),
    bookingId: booking.id,
    attendeeId: firstAttendee.id,
    data: { seat: 1 },
    metadata: {},
  });
  await ds.getRepository(InstantMeetingToken).insert({
    token: `tok-${randomUUID()}`,
    expires: new Date(start.getTime() + 600_000),
    teamId,
    bookingId: booking.id,
    createdAt: new Date("2030-01-01T00:00:00.000Z"),
    updatedAt: new Date("2030-01-01T00:05:00.000Z"),
  });
  await ds.getRepository(WebhookScheduledTrigger).insert({
    jobName: `job-${booking.id}`,
    subscriberUrl: "https://hooks.example/x",
    payload: JSON.stringify({ a: 1 }),
    startAfter: booking.endTime,
    retryCount: 0,
    bookingId: booking.id,
  });
  return booking;
}

describe("Booking fields and batching", () => {
  let gw: TestGateway;
  let organizer: { id: number; key: string; email: string };
  let attendeeKey: string;
  let adminKey: string;
  let calendarId: number;
  let firstBookingId: number;

  beforeAll(async () => {
    gw = await startTestGateway();
    const ds = gw.dataSource;
    const o = await createViewer(ds);
    organizer = { id: o.user.id, key: o.key, email: o.user.email };
    attendeeKey = (await createViewer(ds, { email: "ann.attendee@example.test" })).key;
    adminKey = (await createViewer(ds, { role: UserPermissionRole.ADMIN })).key;
    const team = await createTeam(ds);
    const eventType = await createEventType(ds, { userId: o.user.id, length: 60 });
    calendarId = (
      await ds.getRepository(DestinationCalendar).save({ integration: "google_calendar", externalId: "cal-1", userId: o.user.id })
    ).id;
    for (let i = 0; i < 60; i += 1) {
      const b = await richBooking(
        ds,
        o.user.id,
        eventType.id,
        team.id,
        new Date(Date.UTC(2031, 2, 1 + i, 14)),
        "Ann.Attendee@example.test",
      );
      if (i === 0) firstBookingId = b.id;
    }
    await ds.query(`UPDATE "Booking" SET "destinationCalendarId" = $1`, [calendarId]);
  });
  afterAll(() => gw.close());

  it("resolves every field and relation of a booking", async () => {
    const res = await gw.gql(`query($id: Int) { booking(id: $id) { ${ALL_FIELDS} } }`, { id: firstBookingId }, organizer.key);
    expect(res.body.errors).toBeUndefined();
    const b = res.body.data!.booking;
    expect(b).toMatchObject({
      id: firstBookingId,
      userId: organizer.id,
      status: "ACCEPTED",
      paid: false,
      isRecorded: false,
      iCalSequence: 0,
      startTime: "2031-03-01T14:00:00.000Z",
      endTime: "2031-03-01T15:00:00.000Z",
      metadata: { source: "test" },
      responses: { name: "Ann Attendee", email: "Ann.Attendee@example.test", location: { value: "integrations:daily", optionValue: "" } },
      user: { id: organizer.id, email: organizer.email, role: "USER" },
      eventType: { length: 60, owner: { id: organizer.id }, locations: [{ type: "integrations:daily" }] },
      destinationCalendar: { id: calendarId, integration: "google_calendar" },
      payment: [{ amount: 5000, currency: "usd", paymentOption: "ON_BOOKING", data: { charge: "ch_1" } }],
      workflowReminders: [{ method: "SMS", scheduledDate: "2031-02-28T14:00:00.000Z", bookingUid: b.uid }],
      seatsReferences: [{ bookingId: firstBookingId, data: { seat: 1 } }],
      instantMeetingToken: { expires: "2031-03-01T14:10:00.000Z", createdAt: "2030-01-01T00:00:00.000Z" },
      scheduledTriggers: [{ payload: '{"a":1}', startAfter: "2031-03-01T15:00:00.000Z" }],
    });
    expect(b.attendees).toHaveLength(2);
    expect(b.references.map((r: { type: string }) => r.type)).toEqual(["daily_video", "google_calendar"]);
    expect(b.seatsReferences[0].attendeeId).toBe(b.attendees[0].id);
    expect(b.instantMeetingToken.token).toMatch(/^tok-/);
  });

  it("reads each related row with every field the operation needs of its type, whichever path primed it", async () => {
    // The organizer is also the event type's owner: the user row primed for `user { id }` must carry
    // what `eventType { owner { … } }` asks for too.
    const res = await gw.gql(
      `{ bookings(take: 3) { nodes { user { id } eventType { owner { timeZone email } } attendees { email } } } }`,
      {},
      organizer.key,
    );
    expect(res.body.errors).toBeUndefined();
    for (const node of res.body.data!.bookings.nodes) {
      expect(node.user).toEqual({ id: organizer.id });
      expect(node.eventType).toEqual({ owner: { timeZone: "Europe/London", email: organizer.email } });
    }
    const viaFragment = await gw.gql(
      `query { bookings(take: 1) { nodes { ...B } } } fragment B on Booking { payment { ... on Payment { amount refunded } } }`,
      {},
      organizer.key,
    );
    expect(viaFragment.body.data!.bookings.nodes[0].payment).toEqual([{ amount: 5000, refunded: false }]);
  });

  it("shows the instant-meeting token only to the organizer and admins", async () => {
    const q = `query($id: Int) { booking(id: $id) { instantMeetingToken { id token } } }`;
    const asAttendee = await gw.gql(q, { id: firstBookingId }, attendeeKey);
    expect(asAttendee.body.data!.booking.instantMeetingToken).toEqual({ id: expect.any(Number), token: null });
    const asAdmin = await gw.gql(q, { id: firstBookingId }, adminKey);
    expect(asAdmin.body.data!.booking.instantMeetingToken.token).toMatch(/^tok-/);
  });

  it("exposes no secret column anywhere in the schema", async () => {
    const res = await gw.gql(`{ __schema { types { name fields { name } } } }`);
    const fieldNames = res.body.data!.__schema.types.flatMap((t: { fields: Array<{ name: string }> | null }) =>
      (t.fields ?? []).map((f) => f.name),
    );
    for (const secret of ["password", "hashedKey", "oneTimePassword", "locked"]) expect(fieldNames).not.toContain(secret);
  });

  it("costs the same number of SQL statements for 50 bookings as for 5 (no query per row)", async () => {
    const page = (take: number) => `{ bookings(take: ${take}) { totalCount nodes { ${ALL_FIELDS} } } }`;
    const five = await gw.gql(page(5), {}, organizer.key);
    const fifty = await gw.gql(page(50), {}, organizer.key);
    expect(five.body.errors).toBeUndefined();
    expect(fifty.body.errors).toBeUndefined();
    expect(fifty.body.data!.bookings.nodes).toHaveLength(50);
    expect(
      fifty.body.data!.bookings.nodes.every(
        (n: { attendees: unknown[]; payment: unknown[] }) => n.attendees.length === 2 && n.payment.length === 1,
      ),
    ).toBe(true);
    const count5 = Number(five.headers.get("x-sql-statements"));
    const count50 = Number(fifty.headers.get("x-sql-statements"));
    expect(count5).toBeGreaterThan(0);
    expect(count50).toBe(count5);
    // Selected relations come with the list statement (primed into the loaders): list + count.
    expect(count50).toBeLessThanOrEqual(6);
  });
});
