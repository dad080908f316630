/**
 * Every environment variable the gateway reads, parsed and validated once.
 * Nothing else in the code base touches `process.env` (tests build a Config directly).
 */

export type NodeEnv = "production" | "development" | "test";
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export type LogFormat = "json" | "pretty";

export interface Config {
  /** Postgres to use; absent means "start the embedded one". */
  databaseUrl: string | undefined;
  port: number;
  /** Interface the HTTP server listens on: loopback outside production (the demo keys are public), all interfaces in production. */
  host: string;
  /** `run`: apply the gateway's migrations at start; `off`: the schema is managed elsewhere (Cal.com). */
  dbMigrations: "run" | "off";
  redisUrl: string | undefined;
  nodeEnv: NodeEnv;
  logLevel: LogLevel;
  /** LOG_FORMAT: JSON lines, or pino-pretty's text for reading by eye. */
  logFormat: LogFormat;
  /** Introspection is on outside production, and in production only when INTROSPECTION=true. */
  introspection: boolean;
  /** Serve the Apollo Sandbox page on GET /graphql (outside production only). */
  sandbox: boolean;
  /** Allowed CORS origins; `undefined` means "reflect any origin" (development default). */
  corsOrigins: string[] | undefined;
  /** Directory holding the embedded Postgres cluster (default `.data/postgres`). */
  embeddedDataDir: string;
  /** Fixed port for the embedded Postgres; 0 picks a free one. */
  embeddedPort: number;
  /** Largest accepted request body, bytes. */
  bodyLimitBytes: number;
  /** Seconds an API-key lookup is cached in memory (0 disables the cache). */
  apiKeyCacheSeconds: number;
  /** Read-only replicas for queries (mutations and their read-backs use the primary). */
  replicaUrls: string[];
  /** Operation limits, checked before anything runs (QUERY_TOO_COMPLEX). */
  maxQueryDepth: number;
  maxAliases: number;
  maxQueryCost: number;
  /**
   * Booking events (BOOKING_EVENTS, default on): every booking change is recorded in the gateway's
   * own schema in the mutation's transaction, for the change feed; `off` turns the feature off.
   */
  bookingEvents: boolean;
  /** Days booking events are kept (BOOKING_EVENTS_RETENTION_DAYS, default 30). */
  bookingEventsRetentionDays: number;
  /** Webhook deliveries (with booking events on): see domain/webhooks. */
  webhooks: WebhookConfig;
  /** Browser access: JWTs, public booking, booking tokens (contract "Browser access"). */
  browser: BrowserConfig;
  /** Requests per minute per API key (per IP without a key); 0 turns rate limiting off. */
  rateLimitPerMinute: number;
  /** Postgres statement_timeout for request work (not migrations), ms; 0 = none. */
  statementTimeoutMs: number;
  /** Longest a GraphQL request may take before it is answered with TIMEOUT, ms; 0 = none. */
  requestTimeoutMs: number;
  /** Database pool size per instance. */
  dbPoolSize: number;
  /** Longest wait for a pooled connection (or a new one to open), ms: past it 503 (OVERLOADED when the pool is busy). */
  dbPoolWaitMs: number;
  /** How long an idle pooled connection is kept (with its prepared statements), ms; 0 = for good. */
  dbIdleTimeoutMs: number;
  /** Accept a JSON array of operations in one HTTP request (off unless enabled). */
  batchedRequests: boolean;
  /** Most operations in one batch (more: HTTP 400). */
  maxBatchSize: number;
  /** Most bookings an unpaged `bookings` returns; more matches: BAD_USER_INPUT (page instead). */
  maxUnpagedBookings: number;
  /** Execute operations compiled by graphql-jit (default) instead of interpreted by graphql-js. */
  graphqlJit: boolean;
  /** Answer the query operations the read path compiles with one SQL statement per root field (src/read-path). */
  readPath: boolean;
}

/** Hosted Apollo Sandbox / Studio: allowed by default so it can call a local gateway. */
/** Browser access settings (contract "Browser access"). */
export interface BrowserConfig {
  /** JWT_SECRET: HS256 key (its UTF-8 bytes). */
  jwtSecret: string | undefined;
  /** JWT_JWKS_URL: where RS256 / ES256 keys are fetched (cached; fetched again for an unknown kid). */
  jwtJwksUrl: string | undefined;
  /** JWT_ISSUER / JWT_AUDIENCE: checked when set. */
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  /** JWT_CLOCK_TOLERANCE_S (default 30): for exp, nbf and a future iat. */
  jwtClockToleranceSeconds: number;
  /** JWT_USER_ID_CLAIM (default sub): the claim holding the Cal.com user id. */
  jwtUserIdClaim: string;
  /** PUBLIC_BOOKING (default false): event types, slots and createBooking without a credential. */
  publicBooking: boolean;
  /** PUBLIC_RATE_LIMIT_PER_MINUTE (default 60): per-IP budget of requests without a credential or with a booking token. */
  publicRateLimitPerMinute: number;
  /** TRUST_PROXY (default false): X-Forwarded-For names the client. */
  trustProxy: boolean;
  /** BOOKING_TOKEN_SECRET: HMAC key of booking tokens; random per start outside production when unset. */
  bookingTokenSecret: string | undefined;
  /** Booking tokens are issued and accepted: with a secret, or outside production (a random one per start). */
  bookingTokens: boolean;
  /** BOOKING_TOKEN_TTL_DAYS (default 90). */
  bookingTokenTtlDays: number;
}

/** Webhook delivery settings (contract "Booking events", webhooks). */
export interface WebhookConfig {
  /** WEBHOOK_TIMEOUT_MS (default 10000): longest an attempt may take, connect to last byte. */
  timeoutMs: number;
  /** WEBHOOK_RETRY_BASE_MS (default 30000): attempt n + 1 waits base × 2^(n−1), up to 20% more. */
  retryBaseMs: number;
  /** WEBHOOK_MAX_ATTEMPTS (default 8): attempts before a delivery is marked FAILED. */
  maxAttempts: number;
  /** WEBHOOK_BLOCK_PRIVATE_ADDRESSES (default true in production): refuse loopback, private, link-local, metadata addresses. */
  blockPrivateAddresses: boolean;
  /** WEBHOOK_CONCURRENCY (default 4): attempts this instance runs at once; 0 = it only queues (other instances deliver). */
  concurrency: number;
}

export const APOLLO_STUDIO_ORIGIN = "https://studio.apollographql.com";

/** Raised for an environment variable that cannot be understood; main prints it and exits 1. */
export class ConfigError extends Error {}

/** DB_IDLE_TIMEOUT_MS's default: an idle pooled connection is closed after 5 minutes. */
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
  }
  return value;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(", ")} (got "${raw}")`);
  }
  return raw as T;
}

/** NODE_ENV (default development); throws ConfigError on any other value. */
export function nodeEnvOf(env: NodeJS.ProcessEnv): NodeEnv {
  return oneOf(env, "NODE_ENV", ["production", "development", "test"] as const, "development");
}

/**
 * TRACE_SAMPLES_PER_SECOND (default 10): in production with neither OTEL_TRACES_SAMPLER nor
 * OTEL_TRACES_SAMPLER_ARG set, the most traces a second that start here are recorded (tracing.ts).
 */
export function traceSamplesPerSecond(env: NodeJS.ProcessEnv): number {
  return intVar(env, "TRACE_SAMPLES_PER_SECOND", 10, 0, 1_000_000);
}

/** TRACE_SQL_COMMENTS (default true): whether a traced statement carries its trace as a comment (tracing.ts). */
export function traceSqlComments(env: NodeJS.ProcessEnv): boolean {
  return boolVar(env, "TRACE_SQL_COMMENTS", true);
}

function boolVar(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false (got "${env[name]}")`);
}

/** Parses the process environment (or any env-shaped object) into a Config. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Read by tracing.ts, which loads before any config; a bad value is reported here, with the rest.
  traceSqlComments(env);
  traceSamplesPerSecond(env);
  const nodeEnv = nodeEnvOf(env);
  const production = nodeEnv === "production";
  const corsRaw = env.CORS_ORIGINS?.trim();
  return {
    databaseUrl: env.DATABASE_URL?.trim() || undefined,
    port: intVar(env, "PORT", 4000, 0, 65535),
    host: env.HOST?.trim() || (production ? "0.0.0.0" : "127.0.0.1"),
    dbMigrations: oneOf(env, "DB_MIGRATIONS", ["run", "off"] as const, "run"),
    redisUrl: env.REDIS_URL?.trim() || undefined,
    nodeEnv,
    logLevel: oneOf(env, "LOG_LEVEL", ["debug", "info", "warn", "error", "silent"] as const, "info"),
    logFormat: oneOf(env, "LOG_FORMAT", ["json", "pretty"] as const, "json"),
    introspection: production ? boolVar(env, "INTROSPECTION", false) : true,
    sandbox: !production,
    corsOrigins: corsRaw
      ? corsRaw
          .split(",")
          .map((o) => o.trim())
          .filter(Boolean)
      : production
        ? [APOLLO_STUDIO_ORIGIN]
        : undefined,
    embeddedDataDir: env.EMBEDDED_PG_DIR?.trim() || ".data/postgres",
    embeddedPort: intVar(env, "EMBEDDED_PG_PORT", 0, 0, 65535),
    bodyLimitBytes: intVar(env, "BODY_LIMIT_BYTES", 1_000_000, 1_000, 100_000_000),
    apiKeyCacheSeconds: intVar(env, "API_KEY_CACHE_SECONDS", 10, 0, 3600),
    replicaUrls: (env.DATABASE_REPLICA_URLS ?? "")
      .split(",")
      .map((u) => u.trim())
      .filter(Boolean),
    maxQueryDepth: intVar(env, "MAX_QUERY_DEPTH", 15, 1, 1000),
    maxAliases: intVar(env, "MAX_ALIASES", 30, 0, 100_000),
    maxQueryCost: intVar(env, "MAX_QUERY_COST", 50_000, 1, 100_000_000),
    rateLimitPerMinute: intVar(env, "RATE_LIMIT_PER_MINUTE", 1_200, 0, 10_000_000),
    statementTimeoutMs: intVar(env, "STATEMENT_TIMEOUT_MS", 5_000, 0, 3_600_000),
    requestTimeoutMs: intVar(env, "REQUEST_TIMEOUT_MS", 10_000, 0, 3_600_000),
    dbPoolSize: intVar(env, "DB_POOL_SIZE", 10, 1, 1_000),
    dbPoolWaitMs: intVar(env, "DB_POOL_WAIT_MS", 2_000, 1, 600_000),
    dbIdleTimeoutMs: intVar(env, "DB_IDLE_TIMEOUT_MS", DEFAULT_IDLE_TIMEOUT_MS, 0, 86_400_000),
    batchedRequests: boolVar(env, "BATCHED_REQUESTS", false),
    maxBatchSize: intVar(env, "MAX_BATCH_SIZE", 10, 1, 1_000),
    maxUnpagedBookings: intVar(env, "MAX_UNPAGED_BOOKINGS", 1_000, 1, 1_000_000),
    graphqlJit: boolVar(env, "GRAPHQL_JIT", true),
    readPath: boolVar(env, "READ_PATH", true),
    bookingEvents: oneOf(env, "BOOKING_EVENTS", ["on", "off"] as const, "on") === "on",
    bookingEventsRetentionDays: intVar(env, "BOOKING_EVENTS_RETENTION_DAYS", 30, 1, 3_650),
    webhooks: {
      timeoutMs: intVar(env, "WEBHOOK_TIMEOUT_MS", 10_000, 100, 120_000),
      retryBaseMs: intVar(env, "WEBHOOK_RETRY_BASE_MS", 30_000, 10, 86_400_000),
      maxAttempts: intVar(env, "WEBHOOK_MAX_ATTEMPTS", 8, 1, 30),
      blockPrivateAddresses: boolVar(env, "WEBHOOK_BLOCK_PRIVATE_ADDRESSES", production),
      concurrency: intVar(env, "WEBHOOK_CONCURRENCY", 4, 0, 100),
    },
    browser: browserConfig(env, production),
  };
}

function browserConfig(env: NodeJS.ProcessEnv, production: boolean): BrowserConfig {
  const text = (name: string) => env[name]?.trim() || undefined;
  const jwksUrl = text("JWT_JWKS_URL");
  if (jwksUrl) {
    let url: URL;
    try {
      url = new URL(jwksUrl);
    } catch {
      throw new ConfigError(`JWT_JWKS_URL must be a URL (got "${jwksUrl}")`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new ConfigError(`JWT_JWKS_URL must be http(s) (got "${jwksUrl}")`);
    if (production && url.protocol !== "https:") throw new ConfigError(`JWT_JWKS_URL must be https in production (got "${jwksUrl}")`);
  }
  const publicBooking = boolVar(env, "PUBLIC_BOOKING", false);
  const bookingTokenSecret = text("BOOKING_TOKEN_SECRET");
  if (production && publicBooking && !bookingTokenSecret) {
    throw new ConfigError(
      "BOOKING_TOKEN_SECRET must be set when PUBLIC_BOOKING=true in production: booking tokens would otherwise change at every start (set it to a long random string, e.g. `openssl rand -hex 32`).",
    );
  }
  if (bookingTokenSecret && bookingTokenSecret.length < 16) throw new ConfigError("BOOKING_TOKEN_SECRET must be at least 16 characters.");
  // An HS256 key shorter than its hash can be guessed offline from any JWT it signed.
  if (env.JWT_SECRET && Buffer.byteLength(env.JWT_SECRET, "utf8") < 32)
    throw new ConfigError("JWT_SECRET must be at least 32 bytes (e.g. `openssl rand -hex 32`).");
  return {
    jwtSecret: env.JWT_SECRET ? env.JWT_SECRET : undefined,
    jwtJwksUrl: jwksUrl,
    jwtIssuer: text("JWT_ISSUER"),
    jwtAudience: text("JWT_AUDIENCE"),
    jwtClockToleranceSeconds: intVar(env, "JWT_CLOCK_TOLERANCE_S", 30, 0, 3_600),
    jwtUserIdClaim: text("JWT_USER_ID_CLAIM") ?? "sub",
    publicBooking,
    publicRateLimitPerMinute: intVar(env, "PUBLIC_RATE_LIMIT_PER_MINUTE", 60, 0, 10_000_000),
    trustProxy: boolVar(env, "TRUST_PROXY", false),
    bookingTokenSecret,
    bookingTokens: Boolean(bookingTokenSecret) || !production,
    bookingTokenTtlDays: intVar(env, "BOOKING_TOKEN_TTL_DAYS", 90, 1, 3_650),
  };
}
