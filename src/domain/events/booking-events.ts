import type { EntityManager } from "typeorm";
import { QUEUE_WEBHOOKS_CTES } from "../webhooks/webhook-outbox";

/**
 * Booking events (contract "Booking events"): every change the gateway makes to a booking is
 * written to `gateway.booking_events` by `recordBookingEvents`, inside the mutation's transaction,
 * so a committed change always has its event and a failed mutation none. Each write path of the
 * booking services calls it with what it changed; the event-table test drives every path.
 */

/** The Postgres NOTIFY channel of committed booking events. */
export const BOOKING_EVENTS_CHANNEL = "gateway_booking_events";

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
 * Writes the events in the transaction of `m`, with the webhook deliveries they cause (one
 * statement; see webhooks/webhook-outbox.ts); nothing when the feature is off.
 */
export async function recordBookingEvents(m: EntityManager, enabled: boolean, events: readonly BookingEventRecord[]): Promise<void> {
  if (!enabled || events.length === 0) return;
  // The NOTIFY is delivered at commit (and never for a rolled-back transaction): it wakes the
  // subscription streams of every instance (server/booking-event-bus.ts).
  await m.query(
    `WITH written AS (
       INSERT INTO gateway.booking_events (type, booking_id, previous_booking_id, "trigger", data)
       SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::jsonb[])
       RETURNING id, xid, "trigger", booking_id, data, occurred_at),
     ${QUEUE_WEBHOOKS_CTES}
     SELECT pg_notify('${BOOKING_EVENTS_CHANNEL}', ''), (SELECT n FROM jobs) AS deliveries FROM (SELECT 1 FROM written LIMIT 1) one`,
    [
      events.map((e) => e.type),
      events.map((e) => e.bookingId),
      events.map((e) => e.previousBookingId ?? null),
      events.map((e) => e.trigger),
      events.map((e) => (e.data ? JSON.stringify(e.data) : null)),
    ],
  );
}
