import type { DataSource, EntityManager } from "typeorm";
import { queryPreparedIn } from "../../db/rows";
import { afterCommit } from "../../db/transaction";
import { currentTraceparent } from "../../tracing";
import { QUEUE_WEBHOOKS_CTES } from "../webhooks/webhook-outbox";

/**
 * Booking events (contract "Booking events"): every change the gateway makes to a booking is
 * written to `gateway.booking_events` by `recordBookingEvents`, inside the mutation's transaction,
 * so a committed change always has its event and a failed mutation none. Each write path of the
 * booking services calls it with what it changed; the event-table test drives every path.
 */

/** The Postgres NOTIFY channel of committed booking events. */
export const BOOKING_EVENTS_CHANNEL = "gateway_booking_events";

/** Who is told, after a commit that wrote events, per data source (server/booking-event-bus.ts). */
const announcers = new WeakMap<DataSource, () => void>();

/** Registers the function told after each commit that wrote booking events on `dataSource`. */
export function onBookingEventsCommitted(dataSource: DataSource, announce: (() => void) | undefined): void {
  if (announce) announcers.set(dataSource, announce);
  else announcers.delete(dataSource);
}

export enum BookingEventType {
  CREATED = "CREATED",
  REQUESTED = "REQUESTED",
  UPDATED = "UPDATED",
  CONFIRMED = "CONFIRMED",
  REJECTED = "REJECTED",
  CANCELLED = "CANCELLED",
  RESCHEDULED = "RESCHEDULED",
}

/** Cal.com's webhook triggers the events map to (shared/domain.md "Webhooks"). */
export type WebhookTrigger = "BOOKING_CREATED" | "BOOKING_REQUESTED" | "BOOKING_RESCHEDULED" | "BOOKING_CANCELLED" | "BOOKING_REJECTED";

export interface BookingEventRecord {
  type: BookingEventType;
  bookingId: number;
  /** RESCHEDULED: the booking it replaces. */
  previousBookingId?: number | null;
  /** The webhook trigger of this change, or null (a title / description edit has none). */
  trigger: WebhookTrigger | null;
  /** What a webhook body needs that the booking row no longer holds (a move's old times, the old uid). */
  data?: Record<string, unknown> | null;
}

/**
 * Writes the events in the transaction of `m`, with the webhook deliveries they cause (one prepared
 * statement; see webhooks/webhook-outbox.ts); nothing when the feature is off. After the commit the
 * bus is told (it wakes local streams and NOTIFYs the other instances). The NOTIFY is deliberately
 * not part of the transaction: Postgres serializes the commits of notifying transactions on one
 * lock, which cost a quarter of createBooking's throughput at 10 clients. An instance that dies
 * between its commit and its NOTIFY leaves the others to find the event by their poll (1 s).
 */
export async function recordBookingEvents(m: EntityManager, enabled: boolean, events: readonly BookingEventRecord[]): Promise<void> {
  if (!enabled || events.length === 0) return;
  await queryPreparedIn(m, RECORD_SQL, [
    events.map((e) => e.type),
    events.map((e) => e.bookingId),
    events.map((e) => e.previousBookingId ?? null),
    events.map((e) => e.trigger),
    events.map((e) => (e.data ? JSON.stringify(e.data) : null)),
    currentTraceparent(), // the deliveries continue this mutation's trace
  ]);
  const announce = announcers.get(m.connection);
  if (announce) afterCommit(m, announce);
}

const RECORD_SQL = `
  WITH written AS (
    INSERT INTO gateway.booking_events (type, booking_id, previous_booking_id, "trigger", data)
    SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::jsonb[])
    RETURNING id, xid, "trigger", booking_id, data, occurred_at),
  ${QUEUE_WEBHOOKS_CTES}
  SELECT (SELECT n FROM jobs) AS deliveries`;
