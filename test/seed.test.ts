import { spawnSync } from "node:child_process";
import path from "node:path";
import { createDataSource } from "../src/db/data-source";
import { bookingSlotKey } from "../src/domain/booking/idempotency";
import { createTestDatabase, dropTestDatabase } from "./support/harness";
import { urlForDatabase } from "./support/env";

/** `npm run seed` into a DATABASE_URL database, and the shape of the demo data. */
describe("demo data", () => {
  let name: string;
  beforeAll(async () => {
    name = await createTestDatabase();
  });
  afterAll(() => dropTestDatabase(name));

  const seed = () =>
    spawnSync(process.execPath, [path.join(__dirname, "..", "dist", "src", "seed", "cli.js")], {
      env: { ...process.env, DATABASE_URL: urlForDatabase(name), LOG_LEVEL: "warn" },
      encoding: "utf8",
    });

  it("is loaded on request into a DATABASE_URL database, once", async () => {
    const first = seed();
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/Demo data loaded: \d+ users, \d+ event types, \d+ bookings/);
    const second = seed();
    expect(second.status).toBe(0);
    expect(second.stdout).toContain("already present");
  });

  it("covers every status and relation, with consistent slots and keys", async () => {
    const ds = createDataSource({ url: urlForDatabase(name), poolSize: 1 });
    await ds.initialize();
    try {
      const statuses = await ds.query(`SELECT status::text, count(*)::int AS n FROM "Booking" GROUP BY 1`);
      expect(statuses.map((s: { status: string }) => s.status).sort()).toEqual([
        "accepted",
        "awaiting_host",
        "cancelled",
        "pending",
        "rejected",
      ]);
      const [{ total, past, future }] = await ds.query(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE "startTime" < now() AT TIME ZONE 'UTC')::int AS past,
                count(*) FILTER (WHERE "startTime" > now() AT TIME ZONE 'UTC')::int AS future FROM "Booking"`,
      );
      expect(total).toBeGreaterThanOrEqual(300);
      expect(past).toBeGreaterThan(50);
      expect(future).toBeGreaterThan(50);
      for (const table of [
        "Attendee",
        "Payment",
        "BookingReference",
        "DestinationCalendar",
        "WorkflowReminder",
        "BookingSeat",
        "InstantMeetingToken",
        "WebhookScheduledTriggers",
        "Host",
        "Membership",
        "ApiKey",
      ]) {
        const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM "${table}"`);
        expect({ table, nonEmpty: n > 0 }).toEqual({ table, nonEmpty: true });
      }
      const [{ orgs }] = await ds.query(
        `SELECT count(*)::int AS orgs FROM "Team" t JOIN "OrganizationSettings" s ON s."organizationId" = t.id WHERE t."isOrganization" AND s."isAdminAPIEnabled"`,
      );
      expect(orgs).toBe(1);
      // No organizer holds two overlapping ACCEPTED/PENDING bookings (half-open ranges).
      const overlaps = await ds.query(
        `SELECT a.id, b.id FROM "Booking" a JOIN "Booking" b ON a."userId" = b."userId" AND a.id < b.id
         WHERE a.status IN ('accepted', 'pending') AND b.status IN ('accepted', 'pending')
           AND a."startTime" < b."endTime" AND b."startTime" < a."endTime"`,
      );
      expect(overlaps).toEqual([]);
      // ACCEPTED bookings carry Cal.com's slot key; the others do not.
      const rows = await ds.query(`SELECT "startTime", "endTime", "userId", status::text, "idempotencyKey" FROM "Booking"`);
      for (const row of rows) {
        expect(row.idempotencyKey).toBe(row.status === "accepted" ? bookingSlotKey(row.startTime, row.endTime, row.userId) : null);
      }
    } finally {
      await ds.destroy();
    }
  });
});
