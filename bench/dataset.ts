import { createHash } from "node:crypto";
import { Client } from "pg";
import { createDataSource } from "../src/db/data-source";

/** The benchmark's API keys (fixed, so the floor and the gateway are driven with the same ones). */
export const BENCH_KEYS = {
  systemAdmin: key("system-admin"),
  orgAdmin: key("org-admin"),
  regularUser: key("regular-user"),
} as const;
export const BENCH_USERS = { systemAdmin: 1, orgAdmin: 2, regularUser: 500 } as const;
export const USERS = 2_000;
export const EVENT_TYPES = 4_000;
export const ORG_MEMBERS = 200;

function key(role: string): string {
  return "cal_" + createHash("sha256").update(`bench ${role}`).digest("hex").slice(0, 32);
}
const sha = (k: string) => createHash("sha256").update(k.slice(4)).digest("hex");

/**
 * Fills an empty, migrated database with a realistic data set using set-based SQL (generate_series):
 * 2,000 users, one organization of 200 members with the admin API on, 4,000 event types, `bookings`
 * bookings over two years (now − 1 year … now + 1 year) in every status, 3 attendees per booking, a
 * payment per third booking and a reference per second. No organizer is double-booked: a user's
 * bookings are `USERS` slots apart. Returns seconds taken.
 */
export async function generateDataset(url: string, bookings: number): Promise<number> {
  const started = Date.now();
  const ds = createDataSource({ url, poolSize: 1 });
  await ds.initialize();
  await ds.runMigrations({ transaction: "all" });
  await ds.destroy();

  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query("BEGIN");
    await c.query(
      `INSERT INTO "Team" (id, name, slug, "isOrganization") VALUES (1, 'Bench Org', 'bench-org', true), (2, 'Bench Team', 'bench-team', false)`,
    );
    await c.query(`UPDATE "Team" SET "parentId" = 1 WHERE id = 2`);
    await c.query(`SELECT setval('"Team_id_seq"', 2)`);
    await c.query(`INSERT INTO "OrganizationSettings" ("organizationId", "isAdminAPIEnabled") VALUES (1, true)`);
    await c.query(
      `INSERT INTO users (id, username, name, email, "timeZone", role, "organizationId")
       SELECT g, 'user' || g, 'User ' || g, 'user' || g || '@bench.test', 'Europe/London',
              CASE WHEN g = 1 THEN 'ADMIN' ELSE 'USER' END::"UserPermissionRole",
              CASE WHEN g BETWEEN 2 AND $2 + 1 THEN 1 END
       FROM generate_series(1, $1) g`,
      [USERS, ORG_MEMBERS],
    );
    await c.query(`SELECT setval('users_id_seq', $1)`, [USERS]);
    await c.query(
      `INSERT INTO "Membership" ("teamId", "userId", accepted, role)
       SELECT 1, g, true, CASE WHEN g = 2 THEN 'OWNER' ELSE 'MEMBER' END::"MembershipRole" FROM generate_series(2, $1 + 1) g`,
      [ORG_MEMBERS],
    );
    await c.query(
      `INSERT INTO "Membership" ("teamId", "userId", accepted, role) SELECT 2, g, true, 'MEMBER' FROM generate_series(300, 309) g`,
    );
    await c.query(
      `INSERT INTO "ApiKey" (id, "userId", "hashedKey", note) VALUES
       ('bench-sysadmin', $1, $2, 'bench'), ('bench-orgadmin', $3, $4, 'bench'), ('bench-user', $5, $6, 'bench')`,
      [
        BENCH_USERS.systemAdmin,
        sha(BENCH_KEYS.systemAdmin),
        BENCH_USERS.orgAdmin,
        sha(BENCH_KEYS.orgAdmin),
        BENCH_USERS.regularUser,
        sha(BENCH_KEYS.regularUser),
      ],
    );
    // Two personal event types per user; the last 10 belong to the team.
    await c.query(
      `INSERT INTO "EventType" (id, title, slug, length, "userId", "teamId", locations, "minimumBookingNotice", "requiresConfirmation", price)
       SELECT g, 'Meeting ' || g, 'meeting-' || g, 30,
              CASE WHEN g <= $1 - 10 THEN ((g - 1) % $2) + 1 END, CASE WHEN g > $1 - 10 THEN 2 END,
              '[{"type": "integrations:daily"}]'::jsonb, 0, g % 7 = 0, CASE WHEN g % 11 = 0 THEN 2500 ELSE 0 END
       FROM generate_series(1, $1) g`,
      [EVENT_TYPES, USERS],
    );
    await c.query(`SELECT setval('"EventType_id_seq"', $1)`, [EVENT_TYPES]);
    await c.query(
      `INSERT INTO "Host" ("userId", "eventTypeId", "isFixed") SELECT u, et, false FROM generate_series(300, 309) u, generate_series($1 - 9, $1) et`,
      [EVENT_TYPES],
    );

    // Booking i uses event type ((i-1) % 4000)+1, so its organizer repeats every 2,000 bookings:
    // with a slot every (2 years / N), one user's bookings are ≥ 2,000 slots apart (no overlaps).
    await c.query(
      `INSERT INTO "Booking" (id, uid, "userId", "userPrimaryEmail", "eventTypeId", title, description, responses,
                              "startTime", "endTime", location, "createdAt", "updatedAt", status, paid, metadata,
                              "iCalUID", "iCalSequence", "idempotencyKey")
       SELECT i, md5('b' || i)::uuid::text, u, 'user' || u || '@bench.test', et, 'Meeting ' || et || ' #' || i,
              CASE WHEN i % 3 = 0 THEN 'Agenda for ' || i END,
              jsonb_build_object('name', 'Guest ' || i, 'email', 'guest' || (i % 50000) || '@bench.test'),
              s, s + interval '30 minutes', 'integrations:daily',
              s - interval '7 days', CASE WHEN i % 4 = 0 THEN NULL ELSE s - interval '1 day' END,
              (CASE i % 10 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'pending' WHEN 2 THEN 'rejected' WHEN 3 THEN 'awaiting_host' ELSE 'accepted' END)::"BookingStatus",
              i % 3 = 0, '{}'::jsonb, md5('b' || i)::uuid::text || '@Cal.com', 0,
              CASE WHEN i % 10 >= 4 THEN md5('k' || i)::uuid::text END
       FROM (SELECT i, ((i - 1) % $2) + 1 AS et, (((i - 1) % $2) % $3) + 1 AS u,
                    date_trunc('minute', (now() AT TIME ZONE 'UTC') - interval '365 days' + (i - 1) * (interval '730 days' / $1)) AS s
             FROM generate_series(1, $1) i) x`,
      [bookings, EVENT_TYPES, USERS],
    );
    await c.query(`SELECT setval('"Booking_id_seq"', $1)`, [bookings]);
    // Attendees: the booker (a guest), a colleague (a user, so attendee visibility has data) and a guest.
    await c.query(
      `INSERT INTO "Attendee" (email, name, "timeZone", locale, "bookingId")
       SELECT CASE k WHEN 1 THEN 'user' || ((b * 7) % $2 + 1) || '@bench.test' ELSE 'guest' || ((b * 3 + k) % 50000) || '@bench.test' END,
              'Attendee ' || k, 'Europe/Berlin', 'en', b
       FROM generate_series(1, $1) b, generate_series(0, 2) k`,
      [bookings, USERS],
    );
    await c.query(
      `INSERT INTO "Payment" (uid, "appId", "bookingId", amount, fee, currency, success, refunded, data, "externalId")
       SELECT md5('p' || b), 'stripe', b, 2500, 100, 'usd', true, false, '{}'::jsonb, 'pi_' || b FROM generate_series(3, $1, 3) b`,
      [bookings],
    );
    await c.query(
      `INSERT INTO "BookingReference" (type, uid, "meetingUrl", "bookingId")
       SELECT 'daily_video', 'daily-' || b, 'https://bench.daily.co/' || b, b FROM generate_series(2, $1, 2) b`,
      [bookings],
    );
    await c.query(`CREATE TABLE bench_meta (bookings int NOT NULL)`);
    await c.query(`INSERT INTO bench_meta VALUES ($1)`, [bookings]);
    await c.query("COMMIT");
    await c.query("VACUUM ANALYZE");
  } catch (err) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    await c.end();
  }
  return (Date.now() - started) / 1000;
}

/**
 * Takes a reused data set back to what generateDataset made: the bookings an earlier run created
 * (createBooking, the subscription scenario; ids past the generated ones, with their attendees and
 * the rest by cascade) are deleted and the tables vacuumed. Each run then measures the size it
 * names: runs had left about 16,000 bookings each in the reused 100,000, so its "last" offset page
 * was no longer the last, and the attach copy grew with them.
 */
export async function trimToDataset(url: string): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rowCount } = await c.query(`DELETE FROM "Booking" WHERE id > (SELECT bookings FROM bench_meta)`);
    // Their events too (no foreign key: the change feed outlives its bookings).
    await c.query(`DELETE FROM gateway.booking_events WHERE booking_id > (SELECT bookings FROM bench_meta)`);
    if (rowCount) await c.query("VACUUM ANALYZE");
    return rowCount ?? 0;
  } finally {
    await c.end();
  }
}

/** Bookings in the database's bench data set, or null when it has none. */
export async function datasetSize(url: string): Promise<number | null> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const rows = await c.query<{ bookings: number }>(`SELECT bookings FROM bench_meta`).catch(() => null);
    return rows?.rows[0]?.bookings ?? null;
  } finally {
    await c.end();
  }
}

/** Users whose hours are Monday–Friday 09:00–17:00 in their own zone; every other bench user works around the clock. */
export const OFFICE_HOURS_USERS = [3, 300, 301, 302, 303, 304, 305, 306, 307, 308, 309];
/** The personal event type of the `slots` scenario (owner: user 3) and the 10-host round-robin one (hosts 300–309). */
export const SLOT_EVENT_TYPES = { personal: 3, roundRobin: EVENT_TYPES } as const;

/**
 * Gives the bench users schedules (once per data set) and the round-robin hosts fresh busy time in
 * the next 40 days (every run: a 30-minute booking each weekday at 15:00 UTC, shifted by host), so
 * the `slots` scenarios compute over real hours and busy hosts.
 */
export async function prepareAvailability(url: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query("BEGIN");
    const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Schedule"`);
    if (rows[0].n === 0) {
      await c.query(`INSERT INTO "Schedule" (id, "userId", name) SELECT g, g, 'Working hours' FROM generate_series(1, $1) g`, [USERS]);
      await c.query(`SELECT setval('"Schedule_id_seq"', $1)`, [USERS]);
      await c.query(
        `INSERT INTO "Availability" ("scheduleId", days, "startTime", "endTime")
         SELECT g, CASE WHEN g = ANY($2::int[]) THEN '{1,2,3,4,5}'::int[] ELSE '{0,1,2,3,4,5,6}'::int[] END,
                CASE WHEN g = ANY($2::int[]) THEN '09:00'::time ELSE '00:00'::time END,
                CASE WHEN g = ANY($2::int[]) THEN '17:00'::time ELSE '23:59'::time END
         FROM generate_series(1, $1) g`,
        [USERS, OFFICE_HOURS_USERS],
      );
      await c.query(`UPDATE users SET "defaultScheduleId" = id`);
      const zones = ["Europe/London", "America/New_York", "Europe/Berlin", "Asia/Kolkata"];
      for (const [i, id] of OFFICE_HOURS_USERS.entries())
        await c.query(`UPDATE users SET "timeZone" = $2 WHERE id = $1`, [id, zones[i % zones.length]]);
      await c.query(`UPDATE "EventType" SET "schedulingType" = 'roundRobin' WHERE id = $1`, [SLOT_EVENT_TYPES.roundRobin]);
    }
    await c.query(`DELETE FROM "Booking" WHERE title = 'bench-busy'`);
    await c.query(
      `INSERT INTO "Booking" (uid, "userId", "eventTypeId", title, "startTime", "endTime", status, "createdAt", "iCalSequence")
       SELECT gen_random_uuid()::text, h, NULL, 'bench-busy', t, t + interval '30 minutes', 'accepted', now(), 0
       FROM generate_series(300, 309) h, generate_series(0, 39) d,
            LATERAL (SELECT date_trunc('day', now() AT TIME ZONE 'UTC') + d * interval '1 day' + interval '15 hours' + (h - 300) * interval '30 minutes' AS t) x
       WHERE EXTRACT(DOW FROM t) BETWEEN 1 AND 5`,
    );
    await c.query("COMMIT");
  } finally {
    await c.end();
  }
}
