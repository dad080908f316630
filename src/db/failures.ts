/**
 * Classifies database failures: the ones that mean "the database cannot be reached right now"
 * (answered with SERVICE_UNAVAILABLE / HTTP 503 and retried at start-up) and statement timeouts.
 */

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now ("the database system is starting up / not accepting connections")
  "08000", "08001", "08003", "08004", "08006", // connection exceptions
  "53300", // too_many_connections
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|not accepting connections|the database system is (starting up|shutting down|in recovery mode)|Connection is not established|Client has encountered a connection error|not yet initialized|Cannot use a pool after calling end/i;

function* chain(error: unknown): Generator<Record<string, unknown>> {
  let current = error as Record<string, unknown> | undefined;
  for (let depth = 0; current && typeof current === "object" && depth < 6; depth += 1) {
    yield current;
    current = (current.driverError ?? current.originalError ?? current.cause) as Record<string, unknown> | undefined;
  }
}

/** True when the error means the database is down or unreachable. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const e of chain(error)) {
    if (typeof e.code === "string" && UNAVAILABLE_CODES.has(e.code)) return true;
    if (typeof e.message === "string" && UNAVAILABLE_MESSAGES.test(e.message)) return true;
    if (Array.isArray(e.errors) && e.errors.some(isDatabaseUnavailable)) return true; // AggregateError (IPv4 + IPv6)
  }
  return false;
}

/** True when Postgres cancelled a statement because of statement_timeout. */
export function isStatementTimeout(error: unknown): boolean {
  for (const e of chain(error)) if (e.code === "57014") return true;
  return false;
}
