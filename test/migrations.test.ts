import { loadConfig } from "../src/config";
import { openDatabase } from "../src/db/database";
import { createDataSource, MIGRATIONS } from "../src/db/data-source";
import { createLogger } from "../src/logger";
import { createBooking, createEventType, createViewer } from "./support/factories";
import { createCalcomManagedDatabase, createTestDatabase, dropTestDatabase, startTestGateway } from "./support/harness";
import { urlForDatabase } from "./support/env";
import { expectPagesAsPlainSql, insertDeepBookings } from "./support/deep-pages";

const silent = createLogger("silent");

describe("migrations", () => {
  it("create Cal.com's tables and enum types, and down() removes exactly them", async () => {
    const name = await createTestDatabase(false);
    const ds = createDataSource({ url: urlForDatabase(name), poolSize: 1 });
    await ds.initialize();
    try {
      const tables = async () =>
        (await ds.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)).map(
          (r: { table_name: string }) => r.table_name,
        );
      await ds.runMigrations();
      expect(await tables()).toEqual([
        "ApiKey",
        "Attendee",
        "Availability",
        "Booking",
        "BookingReference",
        "BookingSeat",
        "DestinationCalendar",
        "EventType",
        "Host",
        "InstantMeetingToken",
        "Membership",
        "OrganizationSettings",
        "OutOfOfficeEntry",
        "Payment",
        "Schedule",
        "Team",
        "Webhook",
        "WebhookScheduledTriggers",
        "WorkflowReminder",
        "gateway_migrations",
        "users",
      ]);
      const [{ labels }] = await ds.query(
        `SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder)::text AS labels FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = 'BookingStatus'`,
      );
      expect(labels).toBe("{cancelled,accepted,rejected,pending,awaiting_host}");
      const [{ type }] = await ds.query(
        `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = '"Booking"'::regclass AND attname = 'startTime'`,
      );
      expect(type).toBe("timestamp(3) without time zone");
      expect(await ds.runMigrations()).toEqual([]); // idempotent
      const [{ keyset }] = await ds.query(`SELECT to_regclass('"Booking_startTime_id_idx"')::text AS keyset`);
      expect(keyset).toBe('"Booking_startTime_id_idx"');

      for (let i = 0; i < MIGRATIONS.length; i += 1) await ds.undoLastMigration();
      expect(await tables()).toEqual(["gateway_migrations"]);
      expect(
        await ds.query(
          `SELECT 1 FROM pg_type WHERE typname IN ('BookingStatus', 'MembershipRole', 'PeriodType', 'WebhookTriggerEvents', 'TimeUnit')`,
        ),
      ).toEqual([]);
      await ds.runMigrations();
      expect(await tables()).toHaveLength(21);
    } finally {
      await ds.destroy();
      await dropTestDatabase(name);
    }
  });
});

describe("attached to a database whose schema Cal.com manages (DB_MIGRATIONS=off)", () => {
  let name: string;
  beforeAll(async () => {
    name = await createCalcomManagedDatabase();
  });
  afterAll(() => dropTestDatabase(name));

  it("starts without touching the schema and serves bookings", async () => {
    const config = loadConfig({ DATABASE_URL: urlForDatabase(name), DB_MIGRATIONS: "off" });
    const db = await openDatabase(config, silent);
    try {
      expect(await db.dataSource.query(`SELECT to_regclass('gateway_migrations') AS t`)).toEqual([{ t: null }]);
    } finally {
      await db.close();
    }
    const gw = await startTestGateway({ databaseName: name });
    try {
      const { user, key } = await createViewer(gw.dataSource);
      const et = await createEventType(gw.dataSource, { userId: user.id });
      await createBooking(gw.dataSource, { userId: user.id, eventTypeId: et.id, attendees: [{ email: "Guest@X.test" }] });
      const res = await gw.gql(
        `{ bookings(filter: { attendeeEmail: "guest@x.test" }) { totalCount nodes { id user { id } eventType { id } attendees { email } } } }`,
        {},
        key,
      );
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.bookings.totalCount).toBe(1);
      expect(res.body.data!.bookings.nodes[0]).toMatchObject({ user: { id: user.id }, eventType: { id: et.id } });
    } finally {
      await gw.close();
    }
  });

  it("pages deep into a regular user's bookings in Cal.com's start-time order, read from the end past the middle, as plain SQL pages them", async () => {
    const gw = await startTestGateway({ databaseName: name });
    try {
      const { user, key } = await createViewer(gw.dataSource);
      const other = await createViewer(gw.dataSource);
      await insertDeepBookings(gw, user.id, other.user.id);
      // Pages whose offsets are below 1,000, below 0.6 × the table's ~2,600 rows (forwards), past the
      // middle of the list (backwards), its last partial page, and past its end.
      await expectPagesAsPlainSql(gw, key, user.id, ["START_TIME"], [2, 21, 31, 33, 36, 40, 46, 48, 49, 60]);
    } finally {
      await gw.close();
    }
  }, 60_000);
});
