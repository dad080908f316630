import type { RequestContext } from "../../context";
import { inTransaction } from "../../db/transaction";
import { queryPrepared, queryPreparedIn } from "../../db/rows";
import { requireViewer } from "../booking/booking-read.service";
import { administeredWebhooks } from "../booking/booking.policy";
import { badInput, notFound } from "../errors";
import { bookingEventId } from "../events/booking-event-feed.service";
import { addAttemptJobSql } from "./webhook-outbox";

/**
 * The webhook delivery log (`webhookDeliveries`) and redelivery (`redeliverWebhook`): allowed to
 * those who administer the webhook (booking.policy.ts `administeredWebhooks`); to anyone else a
 * webhook or delivery answers NOT_FOUND, exactly as one that does not exist.
 */

export const MAX_DELIVERIES_PAGE = 250;

export type WebhookDeliveryStatus = "PENDING" | "DELIVERED" | "FAILED";

export interface WebhookDeliveryNode {
  id: string;
  webhookId: string;
  eventId: string;
  trigger: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

export interface WebhookDeliveryPageResult {
  nodes: WebhookDeliveryNode[];
  endCursor: string | null;
  hasNextPage: boolean;
}

interface Row extends Omit<WebhookDeliveryNode, "eventId"> {
  eventXid: string;
  eventRowId: string;
}

const COLUMNS = `d.id::text AS id, d.webhook_id AS "webhookId", d.event_id::text AS "eventRowId", d.event_xid::text AS "eventXid",
  d."trigger", d.status, d.attempts, d.last_status_code AS "lastStatusCode", d.last_error AS "lastError",
  d.next_attempt_at AS "nextAttemptAt", d.created_at AS "createdAt", d.delivered_at AS "deliveredAt"`;

function node(r: Row): WebhookDeliveryNode {
  const { eventXid, eventRowId, ...rest } = r;
  return { ...rest, eventId: bookingEventId(eventXid, eventRowId, r.createdAt) };
}

function requireFeature(ctx: RequestContext): void {
  if (!ctx.bookingEvents) throw notFound("Webhook deliveries are turned off on this gateway (BOOKING_EVENTS=off).");
}

/** `($n)` placeholders for the policy condition's named parameters, after `offset` positional ones. */
function policySql(ctx: RequestContext, offset: number): { sql: string; values: unknown[] } {
  const policy = administeredWebhooks(requireViewer(ctx));
  if (!policy) return { sql: "TRUE", values: [] };
  const [sql, values] = ctx.dataSource.driver.escapeQueryWithParameters(policy.sql, policy.params);
  return { sql: sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`), values };
}

export async function webhookDeliveries(
  ctx: RequestContext,
  args: { webhookId: string; first?: number | null; after?: string | null },
): Promise<WebhookDeliveryPageResult> {
  requireViewer(ctx);
  requireFeature(ctx);
  const first = args.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > MAX_DELIVERIES_PAGE)
    throw badInput("first", `first must be 1 to ${MAX_DELIVERIES_PAGE}.`);
  let before: string | null = null;
  if (args.after != null) {
    const decoded = Buffer.from(args.after, "base64url").toString("utf8");
    const m = /^d:(\d{1,18})$/.exec(decoded);
    if (!m) throw badInput("after", "after is not a cursor of this log.");
    before = m[1];
  }
  const policy = policySql(ctx, 3);
  const rows = await queryPrepared<Row & { allowed: boolean }>(
    ctx.dataSource,
    `SELECT ok.allowed, d.* FROM (SELECT EXISTS (SELECT 1 FROM "Webhook" w WHERE w.id = $1 AND ${policy.sql}) AS allowed) ok
     LEFT JOIN LATERAL (
       SELECT ${COLUMNS} FROM gateway.webhook_deliveries d
       WHERE ok.allowed AND d.webhook_id = $1 AND ($2::bigint IS NULL OR d.id < $2::bigint)
       ORDER BY d.id DESC LIMIT $3) d ON TRUE`,
    [args.webhookId, before, first + 1, ...policy.values],
    ctx.store,
    true,
  );
  if (!rows[0]?.allowed) throw notFound(`No webhook ${JSON.stringify(args.webhookId.slice(0, 100))} that you administer.`);
  const found = rows.filter((r) => r.id != null);
  const nodes = found.slice(0, first).map(node);
  const hasNextPage = found.length > first;
  const endCursor = nodes.length ? Buffer.from(`d:${nodes[nodes.length - 1].id}`).toString("base64url") : (args.after ?? null);
  return { nodes, endCursor, hasNextPage };
}

/** Queues the delivery again from attempt 1 (attempts back at zero) and answers it. */
export async function redeliverWebhook(ctx: RequestContext, deliveryId: string): Promise<WebhookDeliveryNode> {
  requireViewer(ctx);
  requireFeature(ctx);
  if (!/^\d{1,18}$/.test(deliveryId)) throw notFound(`No webhook delivery ${JSON.stringify(deliveryId.slice(0, 100))}.`);
  const policy = policySql(ctx, 1);
  const row = await inTransaction(ctx.dataSource, ctx.store, async (m) => {
    const [r] = await queryPreparedIn<Row>(
      m,
      `WITH r AS (
         UPDATE gateway.webhook_deliveries d SET status = 'PENDING', attempts = 0, claim = NULL, last_status_code = NULL,
           last_error = NULL, delivered_at = NULL, next_attempt_at = now() AT TIME ZONE 'UTC'
         WHERE d.id = $1::bigint AND EXISTS (SELECT 1 FROM "Webhook" w WHERE w.id = d.webhook_id AND ${policy.sql})
         RETURNING d.*),
       j AS (SELECT ${addAttemptJobSql("r.id", "1", "now()")} FROM r)
       SELECT ${COLUMNS}, (SELECT count(*) FROM j) AS queued FROM r d`,
      [deliveryId, ...policy.values],
    );
    return r;
  });
  if (!row) throw notFound(`No webhook delivery ${deliveryId} of a webhook you administer.`);
  return node(row);
}
