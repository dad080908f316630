import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Cal.com's webhook subscribers, as Prisma generates them: the `"WebhookTriggerEvents"` and
 * `"TimeUnit"` enums and the `"Webhook"` table (id a uuid text; a subscriber of one user's bookings
 * (`userId`), one event type (`eventTypeId`) or a team / organization (`teamId`)). Attached to a
 * Cal.com database (DB_MIGRATIONS=off) they already exist. The gateway only reads this table: the
 * deliveries it makes are logged in its own schema (`gateway.webhook_deliveries`).
 */
export class CalcomWebhookSchema1764000000004 implements MigrationInterface {
  name = "CalcomWebhookSchema1764000000004";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TYPE "WebhookTriggerEvents" AS ENUM (
        'BOOKING_CREATED', 'BOOKING_PAYMENT_INITIATED', 'BOOKING_PAID', 'BOOKING_RESCHEDULED', 'BOOKING_REQUESTED',
        'BOOKING_CANCELLED', 'BOOKING_REJECTED', 'BOOKING_NO_SHOW_UPDATED', 'FORM_SUBMITTED', 'MEETING_ENDED',
        'MEETING_STARTED', 'RECORDING_READY', 'INSTANT_MEETING', 'RECORDING_TRANSCRIPTION_GENERATED', 'OOO_CREATED',
        'AFTER_HOSTS_CAL_VIDEO_NO_SHOW', 'AFTER_GUESTS_CAL_VIDEO_NO_SHOW', 'FORM_SUBMITTED_NO_EVENT')`);
    await q.query(`CREATE TYPE "TimeUnit" AS ENUM ('day', 'hour', 'minute')`);
    await q.query(`
      CREATE TABLE "Webhook" (
        "id" TEXT NOT NULL PRIMARY KEY,
        "userId" INTEGER,
        "teamId" INTEGER,
        "eventTypeId" INTEGER,
        "platformOAuthClientId" TEXT,
        "subscriberUrl" TEXT NOT NULL,
        "payloadTemplate" TEXT,
        "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "active" BOOLEAN NOT NULL DEFAULT true,
        "eventTriggers" "WebhookTriggerEvents"[],
        "appId" TEXT,
        "secret" TEXT,
        "platform" BOOLEAN NOT NULL DEFAULT false,
        "time" INTEGER,
        "timeUnit" "TimeUnit",
        CONSTRAINT "Webhook_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT "Webhook_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT "Webhook_eventTypeId_fkey" FOREIGN KEY ("eventTypeId") REFERENCES "EventType"("id") ON DELETE CASCADE ON UPDATE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX "Webhook_userId_subscriberUrl_key" ON "Webhook"("userId", "subscriberUrl")`);
    await q.query(
      `CREATE UNIQUE INDEX "Webhook_platformOAuthClientId_subscriberUrl_key" ON "Webhook"("platformOAuthClientId", "subscriberUrl")`,
    );
    await q.query(`CREATE INDEX "Webhook_active_idx" ON "Webhook"("active")`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "Webhook"`);
    await q.query(`DROP TYPE "TimeUnit"`);
    await q.query(`DROP TYPE "WebhookTriggerEvents"`);
  }
}
