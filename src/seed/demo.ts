import { createHash } from "node:crypto";
import type { DataSource, EntityManager } from "typeorm";
import { hashApiKey } from "../auth/api-key";
import { bookingSlotKey } from "../domain/booking/idempotency";
import {
  ApiKey,
  Attendee,
  Availability,
  Booking,
  BookingReference,
  BookingSeat,
  BookingStatus,
  DestinationCalendar,
  EventType,
  Host,
  InstantMeetingToken,
  Membership,
  MembershipRole,
  OrganizationSettings,
  OutOfOfficeEntry,
  Payment,
  PaymentOption,
  Schedule,
  SchedulingType,
  Team,
  User,
  UserPermissionRole,
  WebhookScheduledTrigger,
  WorkflowMethods,
  WorkflowReminder,
} from "../entities";

/** Deterministic demo API keys (`cal_` + 32 hex), printed at start-up and used in the README. */
export const DEMO_KEYS = {
  user: demoKey("user"),
  orgAdmin: demoKey("org-admin"),
  systemAdmin: demoKey("system-admin"),
} as const;

function demoKey(role: string): string {
  return "cal_" + createHash("sha256").update(`calcom-graphql-gateway demo ${role}`).digest("hex").slice(0, 32);
}

export interface DemoSummary {
  users: number;
  eventTypes: number;
  bookings: number;
}

/** Seeded PRNG (mulberry32) so every demo load has the same shape. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
    chance: (p: number) => next() < p,
    uid: () =>
      Array.from({ length: 4 }, () =>
        Math.floor(next() * 0x100000000)
          .toString(16)
          .padStart(8, "0"),
      )
        .join("")
        .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5"),
  };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** True when the database has no users yet (a fresh embedded cluster). */
export async function isEmpty(dataSource: DataSource): Promise<boolean> {
  return (await dataSource.getRepository(User).count()) === 0;
}

/**
 * Loads the demo organization into an (empty) database in one transaction: an organization with the
 * admin API enabled and members, a sub-team with round-robin and collective event types, a second
 * organization with the admin API off, a system admin, personal event types of several kinds, and a
 * few hundred bookings in the past and future, in every status, with attendees, payments,
 * references, calendars, reminders, seats, an instant-meeting token and webhook triggers.
 * Bookings sit on a two-hour grid per organizer, so no organizer has overlapping slots.
 */
export async function loadDemoData(dataSource: DataSource, now = new Date()): Promise<DemoSummary> {
  return dataSource.transaction((m) => seed(m, now));
}

async function seed(m: EntityManager, now: Date): Promise<DemoSummary> {
  const r = rng(20261124);
  const base = Math.floor(now.getTime() / HOUR) * HOUR;

  const [acme, support, globex] = await insertAll(m, Team, [
    { name: "Acme Inc", slug: "acme", isOrganization: true, parentId: null, metadata: {} },
    { name: "Acme Support", slug: "support", isOrganization: false, parentId: null, metadata: {} },
    { name: "Globex", slug: "globex", isOrganization: true, parentId: null, metadata: {} },
  ]);
  await m.update(Team, { id: support.id }, { parentId: acme.id });
  await insertAll(m, OrganizationSettings, [
    { organizationId: acme.id, isAdminAPIEnabled: true },
    { organizationId: globex.id, isAdminAPIEnabled: false },
  ]);

  const person = (username: string, name: string, extra: Partial<User> = {}): Partial<User> => ({
    username,
    name,
    email: `${username}@example.com`,
    timeZone: r.pick(["Europe/London", "America/New_York", "Europe/Berlin", "Asia/Tokyo", "America/Los_Angeles"]),
    locale: "en",
    role: UserPermissionRole.USER,
    locked: false,
    organizationId: null,
    ...extra,
  });
  const users = await insertAll(m, User, [
    person("admin", "Sam Sysadmin", { role: UserPermissionRole.ADMIN }),
    person("alice", "Alice Owner", { organizationId: acme.id }),
    person("bob", "Bob Builder", { organizationId: acme.id }),
    person("carol", "Carol Support", { organizationId: acme.id, timeZone: "Europe/London" }),
    person("dave", "Dave Support", { organizationId: acme.id, timeZone: "Europe/Berlin" }),
    person("erin", "Erin Support", { organizationId: acme.id, timeZone: "America/New_York" }),
    person("frank", "Frank Sales", { organizationId: acme.id }),
    person("heidi", "Heidi Invited", { organizationId: acme.id }),
    person("gina", "Gina Globex", { organizationId: globex.id }),
    person("ivan", "Ivan Independent"),
    person("judy", "Judy Client"),
    person("mallory", "Mallory Locked", { locked: true }),
  ]);
  const u = Object.fromEntries(users.map((x) => [x.username!, x])) as Record<string, User>;
  await seedSchedules(m, users, u, now);

  const member = (team: Team, user: User, role: MembershipRole, accepted = true): Partial<Membership> => ({
    teamId: team.id,
    userId: user.id,
    role,
    accepted,
  });
  await insertAll(m, Membership, [
    member(acme, u.alice, MembershipRole.OWNER),
    member(acme, u.bob, MembershipRole.MEMBER),
    member(acme, u.carol, MembershipRole.MEMBER),
    member(acme, u.dave, MembershipRole.MEMBER),
    member(acme, u.erin, MembershipRole.MEMBER),
    member(acme, u.frank, MembershipRole.ADMIN),
    member(acme, u.heidi, MembershipRole.MEMBER, false),
    member(support, u.carol, MembershipRole.ADMIN),
    member(support, u.dave, MembershipRole.MEMBER),
    member(support, u.erin, MembershipRole.MEMBER),
    member(globex, u.gina, MembershipRole.OWNER),
  ]);

  const key = (user: User, plain: string, note: string, expiresAt: Date | null = null): Partial<ApiKey> => ({
    id: r.uid(),
    userId: user.id,
    note,
    expiresAt,
    hashedKey: hashApiKey(plain),
  });
  await insertAll(m, ApiKey, [
    key(u.bob, DEMO_KEYS.user, "demo: regular user"),
    key(u.alice, DEMO_KEYS.orgAdmin, "demo: organization admin"),
    key(u.admin, DEMO_KEYS.systemAdmin, "demo: system admin"),
  ]);

  const calendars = await insertAll(
    m,
    DestinationCalendar,
    [u.alice, u.bob, u.carol, u.ivan].map((user) => ({
      integration: "google_calendar",
      externalId: `${user.username}@group.calendar.google.com`,
      primaryEmail: user.email,
      userId: user.id,
    })),
  );
  const calendarOf = new Map(calendars.map((c) => [c.userId!, c.id]));

  const daily = [{ type: "integrations:daily" }];
  const kinds: Array<Partial<EventType> & { slug: string }> = [
    { title: "30 min meeting", slug: "30min", length: 30, locations: daily },
    {
      title: "Consultation",
      slug: "consultation",
      length: 60,
      requiresConfirmation: true,
      locations: [{ type: "inPerson", address: "1 Main St" }],
    },
    { title: "Paid session", slug: "paid", length: 45, price: 5000, currency: "usd", locations: daily },
    { title: "Quick chat", slug: "quick", length: 15, hidden: true, locations: [{ type: "phone" }] },
    { title: "Flexible call", slug: "flexible", length: 30, metadata: { multipleDuration: [15, 30, 60] }, locations: daily },
    { title: "Workshop", slug: "workshop", length: 90, seatsPerTimeSlot: 5, locations: [{ type: "link", link: "https://example.com/ws" }] },
  ];
  const personal: Partial<EventType>[] = [];
  const owners: Array<[User, number]> = [
    [u.alice, 3],
    [u.bob, 6],
    [u.carol, 2],
    [u.frank, 3],
    [u.gina, 2],
    [u.ivan, 4],
    [u.judy, 1],
  ];
  for (const [owner, count] of owners) {
    for (const kind of kinds.slice(0, count)) {
      personal.push({
        minimumBookingNotice: 120,
        ...kind,
        userId: owner.id,
        eventName: null,
        description: `${kind.title} with ${owner.name}`,
      });
    }
  }
  // One event type with booking limits (Bob's first: at most 4 a day and 10 a week).
  for (const type of personal) if (type.userId === u.bob.id && type.slug === "30min") type.bookingLimits = { PER_DAY: 4, PER_WEEK: 10 };
  const teamTypes: Partial<EventType>[] = [
    {
      title: "Support call",
      slug: "support-call",
      length: 30,
      teamId: support.id,
      schedulingType: SchedulingType.ROUND_ROBIN,
      locations: daily,
      eventName: "Support: {Scheduler}",
    },
    { title: "Team sync", slug: "team-sync", length: 60, teamId: support.id, schedulingType: SchedulingType.COLLECTIVE, locations: daily },
    {
      title: "Instant support",
      slug: "instant",
      length: 15,
      teamId: support.id,
      schedulingType: SchedulingType.ROUND_ROBIN,
      locations: daily,
    },
  ];
  const eventTypes = await insertAll(m, EventType, [...personal, ...teamTypes]);
  const teamEventTypes = eventTypes.filter((e) => e.teamId === support.id);
  const supportHosts = [u.carol, u.dave, u.erin];
  await insertAll(
    m,
    Host,
    teamEventTypes.flatMap((et) =>
      supportHosts.map((h, i) => ({
        userId: h.id,
        eventTypeId: et.id,
        isFixed: et.schedulingType === SchedulingType.COLLECTIVE,
        priority: 2,
        weight: 100 - i * 10,
      })),
    ),
  );

  // Who books: outside clients, plus org users booking each other (attendee visibility).
  const bookers = [
    { name: "Judy Client", email: "Judy@Example.com" },
    { name: "Ivan Independent", email: "ivan@example.com" },
    { name: "Bob Builder", email: "bob@example.com" },
    ...Array.from({ length: 25 }, (_, i) => ({ name: `Client ${i + 1}`, email: `client${i + 1}@customer.test` })),
  ];
  const zones = ["Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney"];

  // Slot grid: 2-hour slots at 9, 11, 13 and 15 UTC on days -60..+60; one booking per organizer per slot.
  const taken = new Set<string>();
  const takeSlot = (organizerId: number): number => {
    for (;;) {
      const day = r.int(-60, 60);
      const slot = r.int(0, 3);
      if (taken.has(`${organizerId}:${day}:${slot}`)) continue;
      taken.add(`${organizerId}:${day}:${slot}`);
      return Math.floor((base + day * DAY) / DAY) * DAY + (9 + slot * 2) * HOUR;
    }
  };

  type Plan = { booking: Partial<Booking>; guests: number; eventType: EventType; booker: { name: string; email: string } };
  const plans: Plan[] = [];
  const choices = eventTypes.filter((e) => e.slug !== "instant");
  for (let i = 0; i < 320; i += 1) {
    const eventType = r.pick(choices);
    const organizer = eventType.userId ? users.find((x) => x.id === eventType.userId)! : r.pick(supportHosts);
    const startMs = takeSlot(organizer.id);
    const lengths = (eventType.metadata as { multipleDuration?: number[] } | null)?.multipleDuration ?? [eventType.length];
    const start = new Date(startMs);
    const end = new Date(startMs + r.pick(lengths) * 60_000);
    const past = startMs < now.getTime();
    const needsConfirmation = eventType.requiresConfirmation || eventType.price > 0;
    const roll = r.next();
    let status: BookingStatus;
    if (past) status = roll < 0.7 ? BookingStatus.ACCEPTED : roll < 0.85 ? BookingStatus.CANCELLED : BookingStatus.REJECTED;
    else if (needsConfirmation)
      status =
        roll < 0.45
          ? BookingStatus.PENDING
          : roll < 0.8
            ? BookingStatus.ACCEPTED
            : roll < 0.9
              ? BookingStatus.REJECTED
              : BookingStatus.CANCELLED;
    else status = roll < 0.8 ? BookingStatus.ACCEPTED : BookingStatus.CANCELLED;
    const booker = r.pick(bookers.filter((b) => b.email.toLowerCase() !== organizer.email));
    const location = (eventType.locations as Array<{ type: string; address?: string; link?: string }>)[0];
    const created = new Date(Math.min(startMs, now.getTime()) - r.int(1, 30) * DAY);
    plans.push({
      eventType,
      booker,
      guests: eventType.seatsPerTimeSlot ? r.int(1, 3) : r.chance(0.3) ? r.int(1, 2) : 0,
      booking: {
        uid: r.uid(),
        userId: organizer.id,
        userPrimaryEmail: organizer.email,
        eventTypeId: eventType.id,
        title: (eventType.eventName ?? `${eventType.title} between {Organizer} and {Scheduler}`)
          .replace("{Organizer}", organizer.name ?? "")
          .replace("{Scheduler}", booker.name),
        description: r.chance(0.5) ? "Looking forward to it." : null,
        responses: {
          name: booker.name,
          email: booker.email,
          location: { value: location.type, optionValue: location.address ?? location.link ?? "" },
        },
        startTime: start,
        endTime: end,
        location: location.address ?? location.link ?? location.type,
        createdAt: created,
        updatedAt: r.chance(0.6) ? new Date(created.getTime() + r.int(1, 48) * HOUR) : null,
        status,
        paid: eventType.price > 0 && status === BookingStatus.ACCEPTED,
        destinationCalendarId: calendarOf.get(organizer.id) ?? null,
        cancellationReason: status === BookingStatus.CANCELLED ? r.pick(["Schedule conflict", "No longer needed", null]) : null,
        cancelledBy: status === BookingStatus.CANCELLED ? booker.email.toLowerCase() : null,
        rejectionReason: status === BookingStatus.REJECTED ? "Fully booked that week" : null,
        metadata: r.chance(0.2) ? { source: "demo" } : {},
        iCalUID: `${r.uid()}@Cal.com`,
        iCalSequence: status === BookingStatus.CANCELLED ? 1 : 0,
        idempotencyKey: status === BookingStatus.ACCEPTED ? bookingSlotKey(start, end, organizer.id) : null,
        rating: past && status === BookingStatus.ACCEPTED && r.chance(0.3) ? r.int(1, 5) : null,
        isRecorded: past && r.chance(0.1),
        noShowHost: false,
        smsReminderNumber: r.chance(0.1) ? "+15555550123" : null,
      },
    });
  }

  // A weekly recurring series (Bob, 4 occurrences) and a reschedule pair.
  const series = plans
    .filter(
      (p) => p.booking.userId === u.bob.id && p.booking.status === BookingStatus.ACCEPTED && p.booking.startTime!.getTime() > now.getTime(),
    )
    .slice(0, 4);
  const recurringEventId = r.uid();
  for (const p of series) p.booking.recurringEventId = recurringEventId;
  const movedFrom = plans.find((p) => p.booking.status === BookingStatus.CANCELLED && p.booking.startTime!.getTime() > now.getTime());
  const movedTo = plans.find(
    (p) =>
      p !== movedFrom &&
      p.booking.userId === movedFrom?.booking.userId &&
      p.booking.status === BookingStatus.ACCEPTED &&
      p.booking.startTime!.getTime() > movedFrom!.booking.startTime!.getTime(),
  );
  if (movedFrom && movedTo) {
    movedFrom.booking.rescheduled = true;
    movedFrom.booking.rescheduledBy = u.bob.email;
    movedTo.booking.fromReschedule = movedFrom.booking.uid;
    movedTo.booking.iCalUID = movedFrom.booking.iCalUID;
    movedTo.booking.iCalSequence = 1;
    movedTo.booking.cancellationReason = "Moved to a later slot";
  }

  // An instant meeting waiting for a host (AWAITING_HOST) on the team's instant event type.
  const instantType = teamEventTypes.find((e) => e.slug === "instant")!;
  const instantStart = base + 15 * 60_000 + 3 * DAY;
  plans.push({
    eventType: instantType,
    booker: { name: "Client 1", email: "client1@customer.test" },
    guests: 0,
    booking: {
      uid: r.uid(),
      userId: u.carol.id,
      userPrimaryEmail: u.carol.email,
      eventTypeId: instantType.id,
      title: "Instant support for Client 1",
      responses: { name: "Client 1", email: "client1@customer.test" },
      startTime: new Date(instantStart),
      endTime: new Date(instantStart + 15 * 60_000),
      location: "integrations:daily",
      createdAt: now,
      status: BookingStatus.AWAITING_HOST,
      metadata: {},
      iCalUID: `${r.uid()}@Cal.com`,
    },
  });

  const bookings = await insertAll(
    m,
    Booking,
    plans.map((p) => p.booking),
  );

  const attendeeRows: Partial<Attendee>[] = [];
  const attendeeBooking: number[] = [];
  bookings.forEach((booking, i) => {
    const people = [
      plans[i].booker,
      ...Array.from({ length: plans[i].guests }, (_, g) => ({ name: `Guest ${g + 1}`, email: `guest${i}-${g}@guests.test` })),
    ];
    for (const p of people) {
      attendeeRows.push({ email: p.email, name: p.name, timeZone: r.pick(zones), locale: "en", bookingId: booking.id, noShow: false });
      attendeeBooking.push(i);
    }
  });
  const attendees = await insertAll(m, Attendee, attendeeRows);

  await insertAll(
    m,
    BookingSeat,
    attendees
      .map((a, j) => ({ a, plan: plans[attendeeBooking[j]] }))
      .filter(({ plan }) => plan.eventType.seatsPerTimeSlot)
      .map(({ a }) => ({
        referenceUid: r.uid(),
        bookingId: a.bookingId!,
        attendeeId: a.id,
        data: { responses: { name: a.name, email: a.email } },
        metadata: {},
      })),
  );

  await insertAll(
    m,
    Payment,
    bookings
      .filter((b, i) => plans[i].eventType.price > 0 && b.status !== BookingStatus.REJECTED)
      .map((b, i) => ({
        uid: r.uid(),
        appId: "stripe",
        bookingId: b.id,
        amount: 5000,
        fee: 175,
        currency: "usd",
        success: b.paid,
        refunded: b.status === BookingStatus.CANCELLED,
        data: { demo: true },
        externalId: `pi_demo_${b.id}_${i}`,
        paymentOption: PaymentOption.ON_BOOKING,
      })),
  );

  await insertAll(
    m,
    BookingReference,
    bookings
      .filter((_, i) => i % 2 === 0)
      .flatMap((b) => [
        {
          type: "daily_video",
          uid: `daily-${b.uid.slice(0, 8)}`,
          meetingId: `daily-${b.id}`,
          meetingPassword: `pw${b.id}`,
          meetingUrl: `https://demo.daily.co/${b.uid.slice(0, 8)}`,
          bookingId: b.id,
          deleted: null,
        },
        {
          type: "google_calendar",
          uid: `gcal-${b.uid.slice(0, 12)}`,
          externalCalendarId: "primary",
          bookingId: b.id,
          deleted: b.status === BookingStatus.CANCELLED,
        },
      ]),
  );

  const upcoming = bookings.filter((b) => b.status === BookingStatus.ACCEPTED && b.startTime.getTime() > now.getTime());
  await insertAll(
    m,
    WorkflowReminder,
    upcoming.map((b) => ({
      bookingUid: b.uid,
      method: r.chance(0.8) ? WorkflowMethods.EMAIL : WorkflowMethods.SMS,
      scheduledDate: new Date(b.startTime.getTime() - DAY),
      referenceId: `wr-${b.uid}`,
      scheduled: true,
      cancelled: false,
      isMandatoryReminder: false,
      retryCount: 0,
    })),
  );
  await insertAll(
    m,
    WebhookScheduledTrigger,
    upcoming.slice(0, 40).map((b) => ({
      jobName: `meeting-ended-${b.id}`,
      subscriberUrl: "https://hooks.example.com/cal",
      payload: JSON.stringify({ triggerEvent: "MEETING_ENDED", bookingId: b.id, uid: b.uid }),
      startAfter: b.endTime,
      retryCount: 0,
      appId: null,
      webhookId: "demo-webhook",
      bookingId: b.id,
    })),
  );
  const instant = bookings[bookings.length - 1];
  await insertAll(m, InstantMeetingToken, [
    {
      token: r.uid(),
      expires: new Date(instant.startTime.getTime() + 10 * 60_000),
      teamId: support.id,
      bookingId: instant.id,
      createdAt: now,
      updatedAt: now,
    },
  ]);

  return { users: users.length, eventTypes: eventTypes.length, bookings: bookings.length };
}

/**
 * Working hours: everyone Monday–Friday 09:00–17:00 in their own zone (their default schedule),
 * except Carol (split shifts 09:00–12:00 and 13:00–17:00, and a date override 10:00–14:00 ten days
 * from now) and Erin (Monday–Thursday 10:00–18:00); the support hosts work in London, Berlin and New
 * York, so the collective "Team sync" has one common hour on most Monday–Thursdays (none on Carol's
 * override day, two while Europe and the US change clocks on different dates); Dave is out of office for the week starting
 * seven days from now.
 */
async function seedSchedules(m: EntityManager, users: User[], u: Record<string, User>, now: Date): Promise<void> {
  const schedules = await insertAll(
    m,
    Schedule,
    users.map((user) => ({ userId: user.id, name: "Working hours", timeZone: null })),
  );
  const weekdays = [1, 2, 3, 4, 5];
  const rows: Partial<Availability>[] = [];
  for (const schedule of schedules) {
    const owner = schedule.userId;
    if (owner === u.carol.id) {
      rows.push({ scheduleId: schedule.id, days: weekdays, startTime: "09:00", endTime: "12:00", date: null });
      rows.push({ scheduleId: schedule.id, days: weekdays, startTime: "13:00", endTime: "17:00", date: null });
      const override = new Date(now.getTime() + 10 * 86_400_000).toISOString().slice(0, 10);
      rows.push({ scheduleId: schedule.id, days: [], startTime: "10:00", endTime: "14:00", date: override });
    } else if (owner === u.erin.id) {
      rows.push({ scheduleId: schedule.id, days: [1, 2, 3, 4], startTime: "10:00", endTime: "18:00", date: null });
    } else {
      rows.push({ scheduleId: schedule.id, days: weekdays, startTime: "09:00", endTime: "17:00", date: null });
    }
  }
  await insertAll(m, Availability, rows);
  for (const schedule of schedules) await m.getRepository(User).update({ id: schedule.userId }, { defaultScheduleId: schedule.id });
  const away = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 7));
  await insertAll(m, OutOfOfficeEntry, [
    {
      uuid: "demo-ooo-dave",
      userId: u.dave.id,
      start: away,
      end: new Date(away.getTime() + 7 * 86_400_000),
      notes: "Holiday",
      createdAt: now,
      updatedAt: now,
    },
  ]);
}

/** Inserts rows in bulk and returns them with their generated ids (in input order). */
async function insertAll<T extends object>(m: EntityManager, entity: new () => T, rows: Partial<T>[]): Promise<T[]> {
  if (rows.length === 0) return [];
  const repo = m.getRepository(entity);
  const created = rows.map((row) => repo.create(row as T));
  await repo.insert(created);
  return created;
}
