import pg from "pg";

/**
 * Cal.com stores times in `timestamp(3) without time zone` columns holding UTC. node-postgres would
 * read and write that type in the process's local zone; these settings pin both directions to UTC so
 * `TZ` never shifts a booking. Applied once, when the data source module loads.
 */
const TIMESTAMP_WITHOUT_TIME_ZONE_OID = 1114;

/** Parses `2026-07-20 10:00:00.123` (no zone) as a UTC instant. */
export function parseUtcTimestamp(text: string): Date | string {
  if (text === "infinity" || text === "-infinity") return text;
  return new Date(text.replace(" ", "T") + "Z");
}

pg.types.setTypeParser(TIMESTAMP_WITHOUT_TIME_ZONE_OID, parseUtcTimestamp);
// Date parameters are sent as `…+00:00`; casting that to `timestamp` keeps the UTC wall time.
pg.defaults.parseInputDatesAsUTC = true;

export { pg };
