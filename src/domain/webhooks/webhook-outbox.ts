/**
 * Webhooks are queued by `recordBookingEvents` in the same statement that writes the events (so in
 * the mutation's transaction: a committed change has its deliveries, a failed one none), and sent
 * after commit by the delivery worker. Nothing here waits on a network.
 *
 * Which webhooks (contract "Booking events", webhooks): every `"Webhook"` row that is `active`, not
 * `platform`, lists the event's trigger in `eventTriggers`, and matches the booking by `userId` (the
 * organizer), `eventTypeId` (the booking's event type) or `teamId` (the event type's team, or the
 * organizer's organization). One join row per (event, webhook), however many ways it matches.
 *
 * The payload is built here, from the rows as this transaction leaves them, and stored with the
 * delivery: a receiver gets the booking as it was at this change, even when it is retried after
 * later changes.
 */

/** graphile-worker's schema (its own tables, beside `gateway`). */
export const WORKER_SCHEMA = "gateway_worker";
/** The graphile-worker task that makes one delivery attempt. */
export const WEBHOOK_TASK = "webhook_delivery";
/** The graphile-worker cron task that re-queues overdue deliveries (see the worker). */
export const WEBHOOK_SWEEP_TASK = "webhook_delivery_sweep";
/** The queue's own retries only cover a worker that failed to record an attempt (see the worker). */
export const JOB_MAX_ATTEMPTS = 25;

/** The job key of a delivery: at most one waiting job per delivery (graphile-worker replaces it). */
export const jobKeySql = (idSql: string) => `'webhook-delivery:' || ${idSql}`;

/** SQL for graphile-worker's add_job of attempt `attemptSql` of delivery `idSql`, run at `runAtSql` (timestamptz). */
export function addAttemptJobSql(idSql: string, attemptSql: string, runAtSql: string): string {
  return `${WORKER_SCHEMA}.add_job('${WEBHOOK_TASK}', json_build_object('deliveryId', ${idSql}, 'attempt', ${attemptSql}),
    run_at => ${runAtSql}, job_key => ${jobKeySql(idSql)}, max_attempts => ${JOB_MAX_ATTEMPTS})`;
}

const isoUtc = (col: string) => `to_char(${col}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The body's `payload` (Cal.com's field names) for event row `e` of booking `b`, event type `et`,
 * organizer `o`. Trigger-specific fields come from the booking's columns (cancellation, rejection)
 * and from the event's `data` (a move's old times, a reschedule's old uid).
 */
const PAYLOAD_SQL = `
  jsonb_build_object(
    'bookingId', b.id, 'uid', b.uid, 'eventTypeId', b."eventTypeId", 'type', et.slug, 'eventTitle', et.title,
    'title', b.title, 'description', b.description, 'additionalNotes', b.description,
    'startTime', ${isoUtc('b."startTime"')}, 'endTime', ${isoUtc('b."endTime"')},
    'length', (EXTRACT(EPOCH FROM b."endTime" - b."startTime") / 60)::int,
    'status', upper(b.status::text), 'location', b.location, 'responses', b.responses, 'metadata', b.metadata,
    'customInputs', b."customInputs", 'iCalUID', b."iCalUID", 'recurringEventId', b."recurringEventId",
    'requiresConfirmation', et."requiresConfirmation", 'price', et.price, 'currency', et.currency,
    'organizer', CASE WHEN o.id IS NULL THEN NULL ELSE jsonb_build_object(
      'id', o.id, 'name', o.name, 'email', o.email, 'username', o.username, 'timeZone', o."timeZone",
      'language', jsonb_build_object('locale', COALESCE(o.locale, 'en'))) END,
    'attendees', COALESCE((
      SELECT jsonb_agg(jsonb_build_object('name', a.name, 'email', a.email, 'timeZone', a."timeZone",
               'language', jsonb_build_object('locale', COALESCE(a.locale, 'en'))) ORDER BY a.id)
      FROM "Attendee" a WHERE a."bookingId" = b.id), '[]'::jsonb))
  || CASE e."trigger"
       WHEN 'BOOKING_CANCELLED' THEN jsonb_build_object('cancellationReason', b."cancellationReason", 'cancelledBy', b."cancelledBy")
       WHEN 'BOOKING_REJECTED' THEN jsonb_build_object('rejectionReason', b."rejectionReason")
       WHEN 'BOOKING_RESCHEDULED' THEN jsonb_build_object('rescheduleUid', b.uid, 'rescheduledBy', b."rescheduledBy")
       ELSE '{}'::jsonb END
  || COALESCE(e.data, '{}'::jsonb)`;

/** The statement parameter holding the mutation's trace (`traceparent`, or null): the sixth of RECORD_SQL's. */
const TRACEPARENT_PARAM = "$6::text";

/**
 * CTEs to append after a CTE `written` (the inserted events: id, xid, "trigger", booking_id, data,
 * occurred_at): `queued` (the delivery rows) and `jobs` (their first attempts in the queue, added
 * only when there is at least one). The caller must reference `jobs` for it to run, and pass the
 * mutation's `traceparent` (or null) as parameter $6.
 */
export const QUEUE_WEBHOOKS_CTES = `
  queued AS (
    INSERT INTO gateway.webhook_deliveries (webhook_id, event_id, event_xid, "trigger", payload, next_attempt_at, created_at, traceparent)
    SELECT w.id, e.id, e.xid, e."trigger", ${PAYLOAD_SQL}, e.occurred_at, e.occurred_at, ${TRACEPARENT_PARAM}
    FROM written e
    JOIN "Booking" b ON b.id = e.booking_id
    LEFT JOIN "EventType" et ON et.id = b."eventTypeId"
    LEFT JOIN users o ON o.id = b."userId"
    JOIN "Webhook" w ON w.active AND NOT w.platform AND e."trigger" = ANY (w."eventTriggers"::text[])
      AND (w."userId" = b."userId" OR w."eventTypeId" = b."eventTypeId" OR w."teamId" = et."teamId" OR w."teamId" = o."organizationId")
    WHERE e."trigger" IS NOT NULL
    ORDER BY e.id, w.id
    RETURNING id),
  jobs AS (
    SELECT count(*) AS n FROM (SELECT array_agg(id) AS ids FROM queued HAVING count(*) > 0) q,
      LATERAL unnest(q.ids) AS d(id),
      LATERAL ${addAttemptJobSql("d.id", "1", "now()")} j)`;
