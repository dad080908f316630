import type { DataSource } from "typeorm";
import type { Logger } from "../../logger";

/** How often old booking events are deleted. */
const PRUNE_EVERY_MS = 60 * 60_000;

/**
 * Keeps `gateway.booking_events` to BOOKING_EVENTS_RETENTION_DAYS: deletes older events at start and
 * then hourly (every instance does it; the deletes are idempotent). Returns a stop function.
 */
export function startBookingEventRetention(dataSource: DataSource, retentionDays: number, logger: Logger): () => void {
  const prune = async () => {
    try {
      const [, deleted] = (await dataSource.query(
        `DELETE FROM gateway.booking_events WHERE occurred_at < (now() AT TIME ZONE 'UTC') - make_interval(days => $1)`,
        [retentionDays],
      )) as [unknown, number];
      if (deleted) logger.info("booking events pruned", { deleted, retentionDays });
    } catch (err) {
      logger.warn("booking event pruning failed; retrying in an hour", { error: (err as Error).message });
    }
  };
  void prune();
  const timer = setInterval(() => void prune(), PRUNE_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
