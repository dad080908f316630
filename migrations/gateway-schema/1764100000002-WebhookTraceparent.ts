import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The trace of the mutation that queued a webhook delivery (W3C `traceparent`, null when tracing is
 * off): its attempts continue that trace and send it to the receiver (src/tracing.ts).
 */
export class WebhookTraceparent1764100000002 implements MigrationInterface {
  name = "WebhookTraceparent1764100000002";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE gateway.webhook_deliveries ADD COLUMN traceparent TEXT`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE gateway.webhook_deliveries DROP COLUMN traceparent`);
  }
}
