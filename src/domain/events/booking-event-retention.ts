import type { DataSource } from "typeorm";
import type { Logger } from "../../logger";

/** How often old booking events are deleted. */
const PRUNE_EVERY_MS = 60 * 60_000;
const PRUNE_BATCH = 5_000;
/** Namespace of the advisory lock one pruning instance holds ("CAL" 7; see booking/slots.ts for the others). */
const LOCK_NAMESPACE_PRUNING = 0x43414c07;

/** What is pruned: events, and the webhook delivery log (a delivery still PENDING stays). */
const TABLES = [
  { table: "gateway.booking_events", time: "occurred_at", keep: "" },
  { table: "gateway.webhook_deliveries", time: "created_at", keep: ` AND status <> 'PENDING'` },
];

/**
 * Keeps `gateway.booking_events` and `gateway.webhook_deliveries` to BOOKING_EVENTS_RETENTION_DAYS
 * (plus a day of margin, so an event is never gone while a cursor at the retention's edge is still
 * accepted): deletes older rows at start and then hourly. Returns a stop function.
 */
export function startBookingEventRetention(dataSource: DataSource, retentionDays: number, logger: Logger): () => void {
  const prune = async () => {
    try {
      let deleted = 0;
      for (const { table, time, keep } of TABLES)
        for (;;) {
          // One instance prunes at a time (the others skip the round), in batches, each its own short
          // transaction: a backlog never meets the statement timeout, nor holds the feed's horizon long.
          const batch = await dataSource.transaction(async (m) => {
            const [{ locked }] = await m.query<Array<{ locked: boolean }>>(`SELECT pg_try_advisory_xact_lock($1, 0) AS locked`, [
              LOCK_NAMESPACE_PRUNING,
            ]);
            if (!locked) return 0;
            const [, count] = await m.query<[unknown, number]>(
              `DELETE FROM ${table} WHERE id IN (
               SELECT id FROM ${table}
               WHERE ${time} < (now() AT TIME ZONE 'UTC') - make_interval(days => $1 + 1)${keep} ORDER BY id LIMIT $2)`,
              [retentionDays, PRUNE_BATCH],
            );
            return count;
          });
          deleted += batch;
          if (batch < PRUNE_BATCH) break;
        }
      if (deleted) logger.info("booking events and webhook deliveries pruned", { deleted, retentionDays });
    } catch (err) {
      logger.warn("booking event pruning failed; retrying in an hour", { error: (err as Error).message });
    }
  };
  void prune();
  const timer = setInterval(() => void prune(), PRUNE_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
