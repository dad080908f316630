import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Cal.com's table layout for the bookings domain, as Prisma generates it: table and column names,
 * enum types (BookingStatus labels lower case), `timestamp(3) without time zone` holding UTC,
 * `jsonb`, unique constraints, foreign keys with Cal.com's ON DELETE rules, and Cal.com's indexes.
 * Only the subset of tables and columns the gateway reads or writes; an attached Cal.com database
 * has more (DB_MIGRATIONS=off), and the gateway tolerates them.
 */
export class CalcomBookingSchema1764000000000 implements MigrationInterface {
  name = "CalcomBookingSchema1764000000000";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TYPE "BookingStatus" AS ENUM ('cancelled', 'accepted', 'rejected', 'pending', 'awaiting_host')`);
    await q.query(`CREATE TYPE "MembershipRole" AS ENUM ('MEMBER', 'ADMIN', 'OWNER')`);
    await q.query(`CREATE TYPE "UserPermissionRole" AS ENUM ('USER', 'ADMIN')`);
    await q.query(`CREATE TYPE "SchedulingType" AS ENUM ('roundRobin', 'collective', 'managed')`);
    await q.query(`CREATE TYPE "PaymentOption" AS ENUM ('ON_BOOKING', 'HOLD')`);
    await q.query(`CREATE TYPE "WorkflowMethods" AS ENUM ('EMAIL', 'SMS', 'WHATSAPP')`);
    await q.query(`CREATE TYPE "CreationSource" AS ENUM ('api_v1', 'api_v2', 'webapp')`);

    await q.query(`
      CREATE TABLE "Team" (
        "id" SERIAL PRIMARY KEY,
        "name" TEXT NOT NULL,
        "slug" TEXT,
        "parentId" INTEGER,
        "isOrganization" BOOLEAN NOT NULL DEFAULT false,
        "metadata" JSONB,
        CONSTRAINT "Team_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE INDEX "Team_parentId_idx" ON "Team"("parentId")`);

    await q.query(`
      CREATE TABLE "users" (
        "id" SERIAL PRIMARY KEY,
        "username" TEXT,
        "name" TEXT,
        "email" TEXT NOT NULL,
        "timeZone" TEXT NOT NULL DEFAULT 'Europe/London',
        "locale" TEXT,
        "role" "UserPermissionRole" NOT NULL DEFAULT 'USER',
        "locked" BOOLEAN NOT NULL DEFAULT false,
        "organizationId" INTEGER,
        "created" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "metadata" JSONB,
        CONSTRAINT "users_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Team"("id") ON DELETE SET NULL ON UPDATE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX "users_email_key" ON "users"("email")`);
    await q.query(`CREATE INDEX "users_organizationId_idx" ON "users"("organizationId")`);

    await q.query(`
      CREATE TABLE "OrganizationSettings" (
        "id" SERIAL PRIMARY KEY,
        "organizationId" INTEGER NOT NULL,
        "isAdminAPIEnabled" BOOLEAN NOT NULL DEFAULT false,
        CONSTRAINT "OrganizationSettings_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX "OrganizationSettings_organizationId_key" ON "OrganizationSettings"("organizationId")`);

    await q.query(`
      CREATE TABLE "Membership" (
        "id" SERIAL PRIMARY KEY,
        "teamId" INTEGER NOT NULL,
        "userId" INTEGER NOT NULL,
        "accepted" BOOLEAN NOT NULL DEFAULT false,
        "role" "MembershipRole" NOT NULL,
        CONSTRAINT "Membership_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT "Membership_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX "Membership_userId_teamId_key" ON "Membership"("userId", "teamId")`);
    await q.query(`CREATE INDEX "Membership_teamId_idx" ON "Membership"("teamId")`);
    await q.query(`CREATE INDEX "Membership_userId_idx" ON "Membership"("userId")`);

    await q.query(`
      CREATE TABLE "ApiKey" (
        "id" TEXT PRIMARY KEY,
        "userId" INTEGER NOT NULL,
        "teamId" INTEGER,
        "note" TEXT,
        "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "expiresAt" TIMESTAMP(3),
        "lastUsedAt" TIMESTAMP(3),
        "hashedKey" TEXT NOT NULL,
        CONSTRAINT "ApiKey_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT "ApiKey_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX "ApiKey_hashedKey_key" ON "ApiKey"("hashedKey")`);
    await q.query(`CREATE INDEX "ApiKey_userId_idx" ON "ApiKey"("userId")`);

    await q.query(`
      CREATE TABLE "EventType" (
        "id" SERIAL PRIMARY KEY,
        "title" TEXT NOT NULL,
        "slug" TEXT NOT NULL,
        "description" TEXT,
        "length" INTEGER NOT NULL,
        "hidden" BOOLEAN NOT NULL DEFAULT false,
        "userId" INTEGER,
        "teamId" INTEGER,
        "eventName" TEXT,
        "locations" JSONB,
        "requiresConfirmation" BOOLEAN NOT NULL DEFAULT false,
        "minimumBookingNotice" INTEGER NOT NULL DEFAULT 120,
        "beforeEventBuffer" INTEGER NOT NULL DEFAULT 0,
        "afterEventBuffer" INTEGER NOT NULL DEFAULT 0,
        "seatsPerTimeSlot" INTEGER,
        "schedulingType" "SchedulingType",
        "price" INTEGER NOT NULL DEFAULT 0,
        "currency" TEXT NOT NULL DEFAULT 'usd',
        "metadata" JSONB,
        "recurringEvent" JSONB,
        CONSTRAINT "EventType_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT "EventType_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX "EventType_userId_slug_key" ON "EventType"("userId", "slug")`);
    await q.query(`CREATE UNIQUE INDEX "EventType_teamId_slug_key" ON "EventType"("teamId", "slug")`);
    await q.query(`CREATE INDEX "EventType_userId_idx" ON "EventType"("userId")`);
    await q.query(`CREATE INDEX "EventType_teamId_idx" ON "EventType"("teamId")`);

    await q.query(`
      CREATE TABLE "Host" (
        "userId" INTEGER NOT NULL,
        "eventTypeId" INTEGER NOT NULL,
        "isFixed" BOOLEAN NOT NULL DEFAULT false,
        "priority" INTEGER,
        "weight" INTEGER,
        CONSTRAINT "Host_pkey" PRIMARY KEY ("userId", "eventTypeId"),
        CONSTRAINT "Host_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT "Host_eventTypeId_fkey" FOREIGN KEY ("eventTypeId") REFERENCES "EventType"("id") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE INDEX "Host_eventTypeId_idx" ON "Host"("eventTypeId")`);

    await q.query(`
      CREATE TABLE "DestinationCalendar" (
        "id" SERIAL PRIMARY KEY,
        "integration" TEXT NOT NULL,
        "externalId" TEXT NOT NULL,
        "primaryEmail" TEXT,
        "userId" INTEGER,
        "eventTypeId" INTEGER,
        "credentialId" INTEGER,
        CONSTRAINT "DestinationCalendar_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT "DestinationCalendar_eventTypeId_fkey" FOREIGN KEY ("eventTypeId") REFERENCES "EventType"("id") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX "DestinationCalendar_userId_key" ON "DestinationCalendar"("userId")`);
    await q.query(`CREATE UNIQUE INDEX "DestinationCalendar_eventTypeId_key" ON "DestinationCalendar"("eventTypeId")`);

    await q.query(`
      CREATE TABLE "Booking" (
        "id" SERIAL PRIMARY KEY,
        "uid" TEXT NOT NULL,
        "idempotencyKey" TEXT,
        "userId" INTEGER,
        "userPrimaryEmail" TEXT,
        "eventTypeId" INTEGER,
        "title" TEXT NOT NULL,
        "description" TEXT,
        "customInputs" JSONB,
        "responses" JSONB,
        "startTime" TIMESTAMP(3) NOT NULL,
        "endTime" TIMESTAMP(3) NOT NULL,
        "location" TEXT,
        "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "updatedAt" TIMESTAMP(3),
        "status" "BookingStatus" NOT NULL DEFAULT 'accepted',
        "paid" BOOLEAN NOT NULL DEFAULT false,
        "destinationCalendarId" INTEGER,
        "cancellationReason" TEXT,
        "rejectionReason" TEXT,
        "reassignReason" TEXT,
        "reassignById" INTEGER,
        "dynamicEventSlugRef" TEXT,
        "dynamicGroupSlugRef" TEXT,
        "rescheduled" BOOLEAN,
        "fromReschedule" TEXT,
        "recurringEventId" TEXT,
        "smsReminderNumber" TEXT,
        "metadata" JSONB,
        "isRecorded" BOOLEAN NOT NULL DEFAULT false,
        "iCalUID" TEXT DEFAULT '',
        "iCalSequence" INTEGER NOT NULL DEFAULT 0,
        "rating" INTEGER,
        "ratingFeedback" TEXT,
        "noShowHost" BOOLEAN DEFAULT false,
        "oneTimePassword" TEXT,
        "cancelledBy" TEXT,
        "rescheduledBy" TEXT,
        "creationSource" "CreationSource",
        CONSTRAINT "Booking_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT "Booking_eventTypeId_fkey" FOREIGN KEY ("eventTypeId") REFERENCES "EventType"("id") ON DELETE SET NULL ON UPDATE CASCADE,
        CONSTRAINT "Booking_destinationCalendarId_fkey" FOREIGN KEY ("destinationCalendarId") REFERENCES "DestinationCalendar"("id") ON DELETE SET NULL ON UPDATE CASCADE,
        CONSTRAINT "Booking_reassignById_fkey" FOREIGN KEY ("reassignById") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX "Booking_uid_key" ON "Booking"("uid")`);
    await q.query(`CREATE UNIQUE INDEX "Booking_idempotencyKey_key" ON "Booking"("idempotencyKey")`);
    await q.query(`CREATE UNIQUE INDEX "Booking_oneTimePassword_key" ON "Booking"("oneTimePassword")`);
    await q.query(`CREATE INDEX "Booking_userId_idx" ON "Booking"("userId")`);
    await q.query(`CREATE INDEX "Booking_eventTypeId_idx" ON "Booking"("eventTypeId")`);
    await q.query(`CREATE INDEX "Booking_destinationCalendarId_idx" ON "Booking"("destinationCalendarId")`);
    await q.query(`CREATE INDEX "Booking_recurringEventId_idx" ON "Booking"("recurringEventId")`);
    await q.query(`CREATE INDEX "Booking_status_idx" ON "Booking"("status")`);
    await q.query(`CREATE INDEX "Booking_startTime_endTime_status_idx" ON "Booking"("startTime", "endTime", "status")`);
    await q.query(`CREATE INDEX "Booking_userId_status_startTime_idx" ON "Booking"("userId", "status", "startTime")`);
    await q.query(`CREATE INDEX "Booking_userId_endTime_idx" ON "Booking"("userId", "endTime")`);
    await q.query(`CREATE INDEX "Booking_eventTypeId_status_idx" ON "Booking"("eventTypeId", "status")`);

    await q.query(`
      CREATE TABLE "Attendee" (
        "id" SERIAL PRIMARY KEY,
        "email" TEXT NOT NULL,
        "name" TEXT NOT NULL,
        "timeZone" TEXT NOT NULL,
        "phoneNumber" TEXT,
        "locale" TEXT DEFAULT 'en',
        "bookingId" INTEGER,
        "noShow" BOOLEAN DEFAULT false,
        CONSTRAINT "Attendee_bookingId_fkey" FOREIGN KEY ("bookingId") REFERENCES "Booking"("id") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE INDEX "Attendee_email_idx" ON "Attendee"("email")`);
    await q.query(`CREATE INDEX "Attendee_bookingId_idx" ON "Attendee"("bookingId")`);
    await q.query(`CREATE INDEX "Attendee_email_bookingId_idx" ON "Attendee"("email", "bookingId")`);

    await q.query(`
      CREATE TABLE "Payment" (
        "id" SERIAL PRIMARY KEY,
        "uid" TEXT NOT NULL,
        "appId" TEXT,
        "bookingId" INTEGER NOT NULL,
        "amount" INTEGER NOT NULL,
        "fee" INTEGER NOT NULL,
        "currency" TEXT NOT NULL,
        "success" BOOLEAN NOT NULL,
        "refunded" BOOLEAN NOT NULL,
        "data" JSONB NOT NULL,
        "externalId" TEXT NOT NULL,
        "paymentOption" "PaymentOption" DEFAULT 'ON_BOOKING',
        CONSTRAINT "Payment_bookingId_fkey" FOREIGN KEY ("bookingId") REFERENCES "Booking"("id") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX "Payment_uid_key" ON "Payment"("uid")`);
    await q.query(`CREATE UNIQUE INDEX "Payment_externalId_key" ON "Payment"("externalId")`);
    await q.query(`CREATE INDEX "Payment_bookingId_idx" ON "Payment"("bookingId")`);

    await q.query(`
      CREATE TABLE "BookingReference" (
        "id" SERIAL PRIMARY KEY,
        "type" TEXT NOT NULL,
        "uid" TEXT NOT NULL,
        "meetingId" TEXT,
        "meetingPassword" TEXT,
        "meetingUrl" TEXT,
        "bookingId" INTEGER,
        "externalCalendarId" TEXT,
        "deleted" BOOLEAN,
        "credentialId" INTEGER,
        "thirdPartyRecurringEventId" TEXT,
        CONSTRAINT "BookingReference_bookingId_fkey" FOREIGN KEY ("bookingId") REFERENCES "Booking"("id") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE INDEX "BookingReference_bookingId_idx" ON "BookingReference"("bookingId")`);

    await q.query(`
      CREATE TABLE "WorkflowReminder" (
        "id" SERIAL PRIMARY KEY,
        "bookingUid" TEXT,
        "method" "WorkflowMethods" NOT NULL,
        "scheduledDate" TIMESTAMP(3) NOT NULL,
        "referenceId" TEXT,
        "scheduled" BOOLEAN NOT NULL,
        "workflowStepId" INTEGER,
        "cancelled" BOOLEAN,
        "seatReferenceId" TEXT,
        "isMandatoryReminder" BOOLEAN DEFAULT false,
        "retryCount" INTEGER NOT NULL DEFAULT 0,
        CONSTRAINT "WorkflowReminder_bookingUid_fkey" FOREIGN KEY ("bookingUid") REFERENCES "Booking"("uid") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX "WorkflowReminder_referenceId_key" ON "WorkflowReminder"("referenceId")`);
    await q.query(`CREATE INDEX "WorkflowReminder_bookingUid_idx" ON "WorkflowReminder"("bookingUid")`);

    await q.query(`
      CREATE TABLE "BookingSeat" (
        "id" SERIAL PRIMARY KEY,
        "referenceUid" TEXT NOT NULL,
        "bookingId" INTEGER NOT NULL,
        "attendeeId" INTEGER NOT NULL,
        "data" JSONB,
        "metadata" JSONB,
        CONSTRAINT "BookingSeat_bookingId_fkey" FOREIGN KEY ("bookingId") REFERENCES "Booking"("id") ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT "BookingSeat_attendeeId_fkey" FOREIGN KEY ("attendeeId") REFERENCES "Attendee"("id") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX "BookingSeat_referenceUid_key" ON "BookingSeat"("referenceUid")`);
    await q.query(`CREATE UNIQUE INDEX "BookingSeat_attendeeId_key" ON "BookingSeat"("attendeeId")`);
    await q.query(`CREATE INDEX "BookingSeat_bookingId_idx" ON "BookingSeat"("bookingId")`);

    await q.query(`
      CREATE TABLE "InstantMeetingToken" (
        "id" SERIAL PRIMARY KEY,
        "token" TEXT NOT NULL,
        "expires" TIMESTAMP(3) NOT NULL,
        "teamId" INTEGER NOT NULL,
        "bookingId" INTEGER,
        "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "updatedAt" TIMESTAMP(3) NOT NULL,
        CONSTRAINT "InstantMeetingToken_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT "InstantMeetingToken_bookingId_fkey" FOREIGN KEY ("bookingId") REFERENCES "Booking"("id") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX "InstantMeetingToken_token_key" ON "InstantMeetingToken"("token")`);
    await q.query(`CREATE UNIQUE INDEX "InstantMeetingToken_bookingId_key" ON "InstantMeetingToken"("bookingId")`);

    await q.query(`
      CREATE TABLE "WebhookScheduledTriggers" (
        "id" SERIAL PRIMARY KEY,
        "jobName" TEXT,
        "subscriberUrl" TEXT NOT NULL,
        "payload" TEXT NOT NULL,
        "startAfter" TIMESTAMP(3) NOT NULL,
        "retryCount" INTEGER NOT NULL DEFAULT 0,
        "createdAt" TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP,
        "appId" TEXT,
        "webhookId" TEXT,
        "bookingId" INTEGER,
        CONSTRAINT "WebhookScheduledTriggers_bookingId_fkey" FOREIGN KEY ("bookingId") REFERENCES "Booking"("id") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE INDEX "WebhookScheduledTriggers_bookingId_idx" ON "WebhookScheduledTriggers"("bookingId")`);
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const table of [
      "WebhookScheduledTriggers",
      "InstantMeetingToken",
      "BookingSeat",
      "WorkflowReminder",
      "BookingReference",
      "Payment",
      "Attendee",
      "Booking",
      "DestinationCalendar",
      "Host",
      "EventType",
      "ApiKey",
      "Membership",
      "OrganizationSettings",
      "users",
      "Team",
    ]) {
      await q.query(`DROP TABLE "${table}"`);
    }
    for (const type of [
      "CreationSource",
      "WorkflowMethods",
      "PaymentOption",
      "SchedulingType",
      "UserPermissionRole",
      "MembershipRole",
      "BookingStatus",
    ]) {
      await q.query(`DROP TYPE "${type}"`);
    }
  }
}
