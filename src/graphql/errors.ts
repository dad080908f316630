import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { classifyFault } from "../db/faults";
import { clipQuotedInput, DomainError, type DomainErrorCode } from "../domain/errors";

/** HTTP status for each domain code: the one mapping from domain errors to the wire. */
export function httpStatusFor(code: DomainErrorCode): number {
  switch (code) {
    case "UNAUTHENTICATED":
      return 401;
    case "FORBIDDEN":
    case "NOT_FOUND":
    case "BAD_USER_INPUT":
    case "CONFLICT":
      return 200;
    default: {
      const unmapped: never = code;
      throw new Error(`unmapped domain error code ${String(unmapped)}`);
    }
  }
}

/** A domain error as a GraphQL error with `extensions.code` (+ field / reason) and its HTTP status. */
export function toGraphQLError(error: DomainError): GraphQLError {
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: { code: error.code, ...error.details, http: { status: httpStatusFor(error.code) } },
  });
}

/** Codes that graphql-js / Apollo and the gateway's own plugins attach, passed through unchanged. */
const PASS_THROUGH_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "QUERY_TOO_COMPLEX",
  "SERVICE_UNAVAILABLE",
  "TIMEOUT",
  "RATE_LIMITED",
]);

/** Infrastructure failures, with the HTTP status the response gets (set by the status plugin). */
export const INFRASTRUCTURE_STATUS: Record<string, number> = { SERVICE_UNAVAILABLE: 503, TIMEOUT: 504 };

/** An infrastructure failure as the client sees it: the code and, for some 503s, why. */
export interface Infrastructure {
  code: "SERVICE_UNAVAILABLE" | "TIMEOUT";
  /** OVERLOADED: no pooled connection within DB_POOL_WAIT_MS; CONTENTION: deadlock / serialization retries ran out. */
  reason?: "OVERLOADED" | "CONTENTION";
}

/** The infrastructure failure hidden in `error` (db/faults.ts decides what a database failure means), if any. */
export function infrastructureOf(error: unknown): Infrastructure | undefined {
  switch (classifyFault(error)) {
    case "unavailable":
    case "stale-plan": // prepared again once already; failing again means the schema is changing under us
      return { code: "SERVICE_UNAVAILABLE" };
    case "overloaded":
      return { code: "SERVICE_UNAVAILABLE", reason: "OVERLOADED" };
    case "contention":
      return { code: "SERVICE_UNAVAILABLE", reason: "CONTENTION" };
    case "timeout":
      return { code: "TIMEOUT" };
    case undefined:
      return undefined;
  }
}

const INFRASTRUCTURE_MESSAGES = {
  SERVICE_UNAVAILABLE: "The database is unavailable; try again shortly.",
  OVERLOADED: "The gateway is busy: no database connection became free in time (DB_POOL_WAIT_MS); try again shortly.",
  CONTENTION: "The change collided with concurrent changes too often; try again.",
  TIMEOUT: "The request took too long and was stopped (STATEMENT_TIMEOUT_MS / REQUEST_TIMEOUT_MS).",
};

/** The client-facing message and extensions of an infrastructure failure. */
function describe({ code, reason }: Infrastructure): { message: string; extensions: Record<string, unknown> } {
  return { message: INFRASTRUCTURE_MESSAGES[reason ?? code], extensions: reason ? { code, reason } : { code } };
}

/** A plugin-level GraphQL error for an infrastructure failure, with its HTTP status. */
export function infrastructureError(infrastructure: Infrastructure): GraphQLError {
  const { message, extensions } = describe(infrastructure);
  return new GraphQLError(message, { extensions: { ...extensions, http: { status: INFRASTRUCTURE_STATUS[infrastructure.code] } } });
}

function domainErrorIn(error: unknown): DomainError | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth += 1) {
    if (current instanceof DomainError) return current;
    current = (current as { originalError?: unknown }).originalError;
  }
  return undefined;
}

/** True when the error is one the client caused or may see; false means it must be masked. */
export function isExpectedError(error: unknown): boolean {
  if (domainErrorIn(error) || infrastructureOf(error)) return true;
  const original = (error as { originalError?: unknown })?.originalError;
  // A pass-through code counts only on an error raised as a GraphQLError, not one wrapping a crash.
  const code = (error as GraphQLError)?.extensions?.code;
  const wrapsCrash = original !== undefined && original !== null && !(original instanceof GraphQLError);
  return typeof code === "string" && PASS_THROUGH_CODES.has(code) && !wrapsCrash;
}

/**
 * `error` with the code Apollo gives the same error over HTTP (GRAPHQL_PARSE_FAILED,
 * GRAPHQL_VALIDATION_FAILED), for what runs graphql-js without Apollo (subscribe messages over
 * WebSocket): without it, formatError takes the client's mistake for a crash.
 */
export function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

/** A validation error about a literal argument that one of the gateway's scalars refused as BAD_USER_INPUT. */
function isRefusedLiteral(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.extensions?.code !== "GRAPHQL_VALIDATION_FAILED") return false;
  const original = error.originalError as GraphQLError | undefined;
  return original instanceof GraphQLError && original.extensions?.code === "BAD_USER_INPUT";
}

/**
 * An error Apollo raises about the request itself before anything runs, with an HTTP 4xx status but
 * no code (a persisted query whose hash does not match, an unsupported persisted-query version):
 * the client's mistake, not a crash.
 */
function isRequestRefusal(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.originalError || error.extensions?.code != null) return false;
  const status = (error.extensions?.http as { status?: number } | undefined)?.status;
  return status !== undefined && status >= 400 && status < 500;
}

/**
 * Apollo `formatError`: every error leaves with `extensions.code`. Domain errors keep their message
 * and details; validation errors name the offending field; anything unexpected is masked (no SQL, no
 * stack) and was logged with the request id by the logging plugin.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const base = { locations: formatted.locations, path: formatted.path };
  const domain = domainErrorIn(error);
  if (domain) {
    return { ...base, message: domain.message, extensions: { code: domain.code, ...domain.details } };
  }
  const infrastructure = infrastructureOf(error);
  if (infrastructure) return { ...base, ...describe(infrastructure) };
  if (isRequestRefusal(error)) {
    return { ...base, message: (error as GraphQLError).message, extensions: { code: "BAD_REQUEST" } };
  }
  if (isRefusedLiteral(error)) {
    // A literal argument our scalar refused (a DateTime out of range): the client's input, like a variable's.
    return { ...base, message: clipQuotedInput(formatted.message), extensions: { code: "BAD_USER_INPUT" } };
  }
  if (isExpectedError(error)) {
    const { stacktrace: _dropped, http: _http, ...extensions } = formatted.extensions ?? {};
    // graphql-js quotes a whole refused value ("got invalid value …"): at most 100 characters of it go back.
    return { ...base, message: clipQuotedInput(formatted.message), extensions };
  }
  return { ...base, message: "Internal server error.", extensions: { code: "INTERNAL_SERVER_ERROR" } };
}
