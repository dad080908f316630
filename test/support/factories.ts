import { randomBytes, randomUUID } from "node:crypto";
import type { DataSource } from "typeorm";
import { hashApiKey } from "../../src/auth/api-key";
import {
  ApiKey,
  Attendee,
  Availability,
  Booking,
  Schedule,
  BookingStatus,
  EventType,
  Membership,
  MembershipRole,
  OrganizationSettings,
  Team,
  User,
  UserPermissionRole,
} from "../../src/entities";

/** Test data factories: real rows in the test's own database, with sensible defaults. */

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter += 1)}`;

/**
 * A user. By default they work around the clock (a default schedule of every day 00:00–23:59), so
 * tests that book at arbitrary times test what they are about; `hours: "builtin"` leaves them without
 * any schedule (Cal.com's built-in Monday–Friday 09:00–17:00).
 */
export async function createUser(
  ds: DataSource,
  overrides: Partial<User> = {},
  options: { hours?: "always" | "builtin" } = {},
): Promise<User> {
  const user = await insertUser(ds, overrides);
  if ((options.hours ?? "always") === "always") {
    await createSchedule(ds, user, [{ days: [0, 1, 2, 3, 4, 5, 6], startTime: "00:00", endTime: "23:59" }], { makeDefault: true });
  }
  return user;
}

export interface HoursSpec {
  days?: number[];
  startTime: string;
  endTime: string;
  /** "YYYY-MM-DD" for a date override. */
  date?: string;
}

/** A schedule of the user with its rows; `makeDefault` sets it as the user's default schedule. */
export async function createSchedule(
  ds: DataSource,
  user: User,
  rows: HoursSpec[],
  options: { timeZone?: string | null; makeDefault?: boolean; name?: string } = {},
): Promise<Schedule> {
  const schedule = await ds
    .getRepository(Schedule)
    .save(
      ds.getRepository(Schedule).create({ userId: user.id, name: options.name ?? "Working hours", timeZone: options.timeZone ?? null }),
    );
  if (rows.length) {
    await ds.getRepository(Availability).insert(
      rows.map((r) => ({
        scheduleId: schedule.id,
        days: r.date ? [] : (r.days ?? [1, 2, 3, 4, 5]),
        startTime: r.startTime,
        endTime: r.endTime,
        date: r.date ?? null,
      })),
    );
  }
  if (options.makeDefault) {
    await ds.getRepository(User).update({ id: user.id }, { defaultScheduleId: schedule.id });
    user.defaultScheduleId = schedule.id;
  }
  return schedule;
}

async function insertUser(ds: DataSource, overrides: Partial<User>): Promise<User> {
  const name = overrides.username ?? `user${unique()}`;
  const repo = ds.getRepository(User);
  return repo.save(
    repo.create({
      username: name,
      name: `User ${name}`,
      email: `${name}@example.test`,
      timeZone: "Europe/London",
      locale: "en",
      role: UserPermissionRole.USER,
      locked: false,
      ...overrides,
    }),
  );
}

/** Issues a Cal.com-style key for the user and returns the plain key (`cal_` + 32 hex). */
export async function createApiKey(ds: DataSource, user: User, expiresAt: Date | null = null): Promise<string> {
  const key = "cal_" + randomBytes(16).toString("hex");
  await ds.getRepository(ApiKey).insert({ id: randomUUID(), userId: user.id, hashedKey: hashApiKey(key), expiresAt });
  return key;
}

/** A user with a key, in one call. */
export async function createViewer(ds: DataSource, overrides: Partial<User> = {}): Promise<{ user: User; key: string }> {
  const user = await createUser(ds, overrides);
  return { user, key: await createApiKey(ds, user) };
}

export async function createTeam(
  ds: DataSource,
  options: { isOrganization?: boolean; parentId?: number | null; adminApiEnabled?: boolean } = {},
): Promise<Team> {
  const repo = ds.getRepository(Team);
  const slug = `team${unique()}`;
  const team = await repo.save(
    repo.create({ name: slug, slug, isOrganization: options.isOrganization ?? false, parentId: options.parentId ?? null }),
  );
  if (options.isOrganization) {
    await ds.getRepository(OrganizationSettings).insert({
      organizationId: team.id,
      isAdminAPIEnabled: options.adminApiEnabled ?? false,
    });
  }
  return team;
}

export async function addMember(
  ds: DataSource,
  team: Team,
  user: User,
  role: MembershipRole = MembershipRole.MEMBER,
  accepted = true,
): Promise<void> {
  await ds.getRepository(Membership).insert({ teamId: team.id, userId: user.id, role, accepted });
}

export async function createEventType(ds: DataSource, overrides: Partial<EventType> = {}): Promise<EventType> {
  const repo = ds.getRepository(EventType);
  const slug = overrides.slug ?? `et${unique()}`;
  return repo.save(
    repo.create({
      title: `Event ${slug}`,
      slug,
      length: 30,
      hidden: false,
      requiresConfirmation: false,
      minimumBookingNotice: 0,
      price: 0,
      currency: "usd",
      locations: [{ type: "integrations:daily" }],
      ...overrides,
    }),
  );
}

export interface BookingSpec extends Partial<Booking> {
  attendees?: Array<{ email: string; name?: string; timeZone?: string }>;
}

/** Inserts a booking (default: ACCEPTED, 30 minutes from `startTime`) with its attendees. */
export async function createBooking(ds: DataSource, spec: BookingSpec = {}): Promise<Booking> {
  const { attendees = [], ...fields } = spec;
  const start = fields.startTime ?? new Date(Date.UTC(2030, 0, 1, 10, 0, 0));
  const repo = ds.getRepository(Booking);
  const booking = await repo.save(
    repo.create({
      uid: randomUUID(),
      title: `Booking ${unique()}`,
      startTime: start,
      endTime: new Date(start.getTime() + 30 * 60_000),
      status: BookingStatus.ACCEPTED,
      createdAt: new Date(Date.UTC(2029, 0, 1)),
      responses: {},
      metadata: {},
      ...fields,
    }),
  );
  if (attendees.length) {
    await ds.getRepository(Attendee).insert(
      attendees.map((a) => ({
        email: a.email,
        name: a.name ?? a.email,
        timeZone: a.timeZone ?? "Europe/London",
        bookingId: booking.id,
      })),
    );
  }
  return booking;
}
