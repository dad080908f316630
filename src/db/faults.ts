/**
 * What a database failure means for the request that met it, decided in one place.
 *
 * Failures are classified by **where** they happened, recorded on the error by the gateway's pg
 * client and pool (pg-client.ts) as a `DbFaultTag`, and by **SQLSTATE class**, never by message
 * text:
 * - while waiting for a pooled connection (the pool is busy, the database answers): `overloaded`;
 * - while opening a connection (refused, reset, `57P03`, `55000` "not accepting connections",
 *   `53300`, authentication...): `unavailable`;
 * - while a statement runs: by its SQLSTATE (`08xxx`, `57P01`/`57P02`/`57P03`, `53300`:
 *   `unavailable`; `57014`: `timeout`; `40P01`/`40001`: `contention`; `0A000` on a named prepared
 *   statement: `stale-plan`), and with no SQLSTATE at all because the connection died under it:
 *   `unavailable`; past the client-side deadline (a silent network): `timeout`.
 * Anything else is not a fault of the database's availability: the caller's own error path applies
 * (usually INTERNAL_SERVER_ERROR).
 */

export type DbFault = "unavailable" | "overloaded" | "timeout" | "contention" | "stale-plan";

/** Where a failure happened, attached to the error by the gateway's pg client and pool. */
export interface DbFaultTag {
  phase: "acquire" | "connect" | "query";
  /** The connection was dead when the statement failed (it will not be reused). */
  connectionLost: boolean;
  /** The client-side deadline fired (the statement or the request ran out of time). */
  deadline: boolean;
  /** The statement was a named prepared statement. */
  prepared: boolean;
}

const TAG = Symbol("gateway.dbFault");

/**
 * Records where `error` happened, unless it (or an error it wraps) already says: the first record
 * wins, the innermost place being the most precise.
 */
export function tagFault<E>(error: E, tag: DbFaultTag): E {
  if (error && typeof error === "object" && !faultTagOf(error)) {
    Object.defineProperty(error, TAG, { value: tag, enumerable: false });
  }
  return error;
}

function* chain(error: unknown): Generator<Record<string | symbol, unknown>> {
  let current = error as Record<string | symbol, unknown> | undefined;
  for (let depth = 0; current && typeof current === "object" && depth < 6; depth += 1) {
    yield current;
    current = (current.driverError ?? current.originalError ?? current.cause) as Record<string | symbol, unknown> | undefined;
  }
}

/** The fault tag on `error` or an error it wraps. */
export function faultTagOf(error: unknown): DbFaultTag | undefined {
  for (const e of chain(error)) if (e[TAG]) return e[TAG] as DbFaultTag;
  return undefined;
}

/** The SQLSTATE of `error` or an error it wraps (five characters, as Postgres sends it). */
export function sqlStateOf(error: unknown): string | undefined {
  for (const e of chain(error)) {
    if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

/** Node's socket-level error codes: the database cannot be reached at all. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ECONNABORTED",
]);

function bySqlState(state: string, tag: DbFaultTag | undefined): DbFault | undefined {
  if (state.startsWith("08")) return "unavailable"; // connection exception
  switch (state) {
    case "57P01": // admin_shutdown (pg_terminate_backend, restart)
    case "57P02": // crash_shutdown
    case "57P03": // cannot_connect_now (starting up, shutting down, recovery)
    case "53300": // too_many_connections
      return "unavailable";
    case "57014": // query_canceled (statement_timeout)
      return "timeout";
    case "40P01": // deadlock_detected
    case "40001": // serialization_failure
      return "contention";
    case "0A000": // feature_not_supported: "cached plan must not change result type" on a prepared statement
      return tag?.prepared ? "stale-plan" : undefined;
    default:
      return undefined;
  }
}

/** What a database failure means (see the module comment); undefined when it is none of these. */
export function classifyFault(error: unknown): DbFault | undefined {
  const tag = faultTagOf(error);
  const state = sqlStateOf(error);
  if (tag?.deadline) return "timeout";
  if (tag?.phase === "acquire") return "overloaded";
  if (tag?.phase === "connect") return "unavailable";
  if (state) {
    const fault = bySqlState(state, tag);
    if (fault) return fault;
  }
  if (tag?.connectionLost) return "unavailable";
  for (const e of chain(error)) {
    if (typeof e.code === "string" && NETWORK_CODES.has(e.code)) return "unavailable";
    if (e.name === "ConnectionNotReadyError") return "unavailable";
    if (Array.isArray(e.errors) && e.errors.some((inner) => classifyFault(inner) === "unavailable")) return "unavailable"; // AggregateError (IPv4 + IPv6)
  }
  return undefined;
}

/** Raised when the gateway's data source is used before it connected (start-up, database down). */
export class ConnectionNotReadyError extends Error {
  override name = "ConnectionNotReadyError";
}

/** True when the error means the database cannot be reached right now (start-up retries on these). */
export function isDatabaseUnavailable(error: unknown): boolean {
  const fault = classifyFault(error);
  return fault === "unavailable" || fault === "overloaded";
}

/**
 * True for a refusal that waiting will not cure: wrong credentials (class 28) or a database that
 * does not exist (3D000). Start-up stops on these with the server's message instead of retrying.
 */
export function isMisconfiguration(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state !== undefined && (state.startsWith("28") || state === "3D000");
}
