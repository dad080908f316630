import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Cal.com's availability tables and columns, as Prisma generates them: `"Schedule"` (a named set of
 * working hours), `"Availability"` (weekly hours or date overrides; `days` int[], `startTime` /
 * `endTime` `time`, `date` `date`), `"OutOfOfficeEntry"` (timestamp(3) UTC), the `"PeriodType"`
 * enum, and the scheduling columns of `"EventType"`, `"Host"` and `users`. Attached to a Cal.com
 * database (DB_MIGRATIONS=off) they already exist. `"EventType".position` orders event types as
 * Cal.com does. `"OutOfOfficeEntry".reasonId` has no foreign key here: the reasons table is not
 * part of the gateway's subset.
 */
export class CalcomAvailabilitySchema1764000000003 implements MigrationInterface {
  name = "CalcomAvailabilitySchema1764000000003";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TYPE "PeriodType" AS ENUM ('unlimited', 'rolling', 'rolling_window', 'range')`);

    await q.query(`
      CREATE TABLE "Schedule" (
        "id" SERIAL PRIMARY KEY,
        "userId" INTEGER NOT NULL,
        "name" TEXT NOT NULL,
        "timeZone" TEXT,
        CONSTRAINT "Schedule_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE INDEX "Schedule_userId_idx" ON "Schedule"("userId")`);

    await q.query(`
      CREATE TABLE "Availability" (
        "id" SERIAL PRIMARY KEY,
        "userId" INTEGER,
        "eventTypeId" INTEGER,
        "days" INTEGER[],
        "startTime" TIME NOT NULL,
        "endTime" TIME NOT NULL,
        "date" DATE,
        "scheduleId" INTEGER,
        CONSTRAINT "Availability_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT "Availability_eventTypeId_fkey" FOREIGN KEY ("eventTypeId") REFERENCES "EventType"("id") ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT "Availability_scheduleId_fkey" FOREIGN KEY ("scheduleId") REFERENCES "Schedule"("id") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE INDEX "Availability_userId_idx" ON "Availability"("userId")`);
    await q.query(`CREATE INDEX "Availability_eventTypeId_idx" ON "Availability"("eventTypeId")`);
    await q.query(`CREATE INDEX "Availability_scheduleId_idx" ON "Availability"("scheduleId")`);

    await q.query(`
      CREATE TABLE "OutOfOfficeEntry" (
        "id" SERIAL PRIMARY KEY,
        "uuid" TEXT NOT NULL,
        "start" TIMESTAMP(3) NOT NULL,
        "end" TIMESTAMP(3) NOT NULL,
        "notes" TEXT,
        "userId" INTEGER NOT NULL,
        "toUserId" INTEGER,
        "reasonId" INTEGER,
        "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "updatedAt" TIMESTAMP(3) NOT NULL,
        CONSTRAINT "OutOfOfficeEntry_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT "OutOfOfficeEntry_toUserId_fkey" FOREIGN KEY ("toUserId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX "OutOfOfficeEntry_uuid_key" ON "OutOfOfficeEntry"("uuid")`);
    await q.query(`CREATE INDEX "OutOfOfficeEntry_uuid_idx" ON "OutOfOfficeEntry"("uuid")`);
    await q.query(`CREATE INDEX "OutOfOfficeEntry_userId_idx" ON "OutOfOfficeEntry"("userId")`);
    await q.query(`CREATE INDEX "OutOfOfficeEntry_toUserId_idx" ON "OutOfOfficeEntry"("toUserId")`);
    await q.query(`CREATE INDEX "OutOfOfficeEntry_start_end_idx" ON "OutOfOfficeEntry"("start", "end")`);

    await q.query(`ALTER TABLE "users" ADD COLUMN "defaultScheduleId" INTEGER`);

    await q.query(`ALTER TABLE "EventType"
      ADD COLUMN "position" INTEGER NOT NULL DEFAULT 0,
      ADD COLUMN "scheduleId" INTEGER,
      ADD COLUMN "slotInterval" INTEGER,
      ADD COLUMN "periodType" "PeriodType" NOT NULL DEFAULT 'unlimited',
      ADD COLUMN "periodDays" INTEGER,
      ADD COLUMN "periodCountCalendarDays" BOOLEAN,
      ADD COLUMN "periodStartDate" TIMESTAMP(3),
      ADD COLUMN "periodEndDate" TIMESTAMP(3),
      ADD COLUMN "bookingLimits" JSONB,
      ADD COLUMN "timeZone" TEXT,
      ADD COLUMN "requiresConfirmationWillBlockSlot" BOOLEAN NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE "EventType" ADD CONSTRAINT "EventType_scheduleId_fkey"
      FOREIGN KEY ("scheduleId") REFERENCES "Schedule"("id") ON DELETE SET NULL ON UPDATE CASCADE`);
    await q.query(`CREATE INDEX "EventType_scheduleId_idx" ON "EventType"("scheduleId")`);

    await q.query(`ALTER TABLE "Host" ADD COLUMN "scheduleId" INTEGER`);
    await q.query(`ALTER TABLE "Host" ADD CONSTRAINT "Host_scheduleId_fkey"
      FOREIGN KEY ("scheduleId") REFERENCES "Schedule"("id") ON DELETE SET NULL ON UPDATE CASCADE`);
    await q.query(`CREATE INDEX "Host_scheduleId_idx" ON "Host"("scheduleId")`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "Host_scheduleId_idx"`);
    await q.query(`ALTER TABLE "Host" DROP CONSTRAINT "Host_scheduleId_fkey"`);
    await q.query(`ALTER TABLE "Host" DROP COLUMN "scheduleId"`);
    await q.query(`DROP INDEX "EventType_scheduleId_idx"`);
    await q.query(`ALTER TABLE "EventType" DROP CONSTRAINT "EventType_scheduleId_fkey"`);
    await q.query(`ALTER TABLE "EventType"
      DROP COLUMN "position", DROP COLUMN "scheduleId", DROP COLUMN "slotInterval", DROP COLUMN "periodType",
      DROP COLUMN "periodDays", DROP COLUMN "periodCountCalendarDays", DROP COLUMN "periodStartDate",
      DROP COLUMN "periodEndDate", DROP COLUMN "bookingLimits", DROP COLUMN "timeZone",
      DROP COLUMN "requiresConfirmationWillBlockSlot"`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "defaultScheduleId"`);
    await q.query(`DROP TABLE "OutOfOfficeEntry"`);
    await q.query(`DROP TABLE "Availability"`);
    await q.query(`DROP TABLE "Schedule"`);
    await q.query(`DROP TYPE "PeriodType"`);
  }
}
