import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The webhook delivery log, in the gateway's own schema: one row per (booking event, matching
 * `"Webhook"`), written in the mutation's transaction with the payload as it was at that commit.
 * `claim` is the attempt in flight (domain/webhooks/webhook-delivery.worker.ts): an attempt is
 * recorded only by the worker that claimed it, so two instances never record, or run, one attempt
 * twice. The queue itself is graphile-worker's, in schema `gateway_worker`.
 */
export class WebhookDeliveries1764100000001 implements MigrationInterface {
  name = "WebhookDeliveries1764100000001";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE gateway.webhook_deliveries (
        id BIGSERIAL PRIMARY KEY,
        webhook_id TEXT NOT NULL,
        event_id BIGINT NOT NULL,
        event_xid XID8 NOT NULL,
        "trigger" TEXT NOT NULL,
        payload JSONB NOT NULL,
        status TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
        attempts INTEGER NOT NULL DEFAULT 0,
        claim UUID,
        last_status_code INTEGER,
        last_error TEXT,
        next_attempt_at TIMESTAMP(3),
        created_at TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
        delivered_at TIMESTAMP(3)
      )`);
    await q.query(`CREATE INDEX webhook_deliveries_webhook_id_id_idx ON gateway.webhook_deliveries (webhook_id, id DESC)`);
    await q.query(`CREATE INDEX webhook_deliveries_created_at_idx ON gateway.webhook_deliveries (created_at)`);
    // The sweeper's look-up of overdue deliveries (webhook-delivery.worker.ts).
    await q.query(`CREATE INDEX webhook_deliveries_pending_idx ON gateway.webhook_deliveries (next_attempt_at) WHERE status = 'PENDING'`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE gateway.webhook_deliveries`);
  }
}
