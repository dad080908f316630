import { DataSource, type AbstractLogger } from "typeorm";
import { CalcomBookingSchema1764000000000 } from "../../migrations/1764000000000-CalcomBookingSchema";
import { GatewayLookupIndexes1764000000001 } from "../../migrations/1764000000001-GatewayLookupIndexes";
import { BookingKeysetIndex1764000000002 } from "../../migrations/1764000000002-BookingKeysetIndex";
import { CalcomAvailabilitySchema1764000000003 } from "../../migrations/1764000000003-CalcomAvailabilitySchema";
import { CalcomWebhookSchema1764000000004 } from "../../migrations/1764000000004-CalcomWebhookSchema";
import { ENTITIES } from "../entities";
import type { Logger } from "../logger";
import { DEFAULT_IDLE_TIMEOUT_MS } from "../config";
import { CLIENT_DEADLINE_MARGIN_MS, gatewayPg, type GatewayClientOptions } from "./pg-client";
import { SqlCountingLogger } from "./sql-counter";

/** The gateway's migrations, in order (imported, not globbed, so builds and tests see the same list). */
export const MIGRATIONS = [
  CalcomBookingSchema1764000000000,
  GatewayLookupIndexes1764000000001,
  BookingKeysetIndex1764000000002,
  CalcomAvailabilitySchema1764000000003,
  CalcomWebhookSchema1764000000004,
];

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  /** Replaces the statement-counting logger (tools that capture SQL, e.g. the EXPLAIN checks). */
  logger?: AbstractLogger;
  /** Read-only replicas: TypeORM's replication (reads outside transactions may go there). */
  replicaUrls?: string[];
  /** Postgres statement_timeout for every statement of this pool, ms (0 or absent: none). */
  statementTimeoutMs?: number;
  /**
   * Longest wait for a pooled connection (and for a new connection to open), ms: DB_POOL_WAIT_MS.
   * A busy pool past it is OVERLOADED; a database that does not answer in time is unavailable.
   */
  poolWaitMs?: number;
  /**
   * How long a pooled connection may sit idle before the pool closes it, ms (0: never): DB_IDLE_TIMEOUT_MS.
   * Closing one drops its prepared statements and its backend's warmed caches: node-postgres' default of
   * 10 s made the first request after a 11 s pause take 15 ms instead of 3 (reconnect, prepare, plan).
   */
  idleTimeoutMs?: number;
  /** Where connection failures are logged (the gateway's logger). */
  log?: Logger;
}

/**
 * Builds (does not connect) the one DataSource: Cal.com's tables, UTC sessions, statement counting,
 * on the gateway's pg pool (pg-client.ts): keepalive, and a client-side deadline of the statement
 * timeout plus a margin on every statement, so a silent network frees its connections.
 */
export function createDataSource({
  url,
  poolSize = 10,
  logger,
  replicaUrls = [],
  statementTimeoutMs = 0,
  poolWaitMs = 2_000,
  idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS,
  log,
}: DataSourceOptions): DataSource {
  const timeout = statementTimeoutMs > 0 ? ` -c statement_timeout=${statementTimeoutMs}` : "";
  const gateway: GatewayClientOptions = {
    queryDeadlineMs: statementTimeoutMs > 0 ? statementTimeoutMs + CLIENT_DEADLINE_MARGIN_MS : 0,
    logger: log,
  };
  return new DataSource({
    type: "postgres",
    ...(replicaUrls.length ? { replication: { master: { url }, slaves: replicaUrls.map((replica) => ({ url: replica })) } } : { url }),
    driver: gatewayPg,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: "gateway_migrations",
    migrationsTransactionMode: "all",
    synchronize: false,
    logger: logger ?? new SqlCountingLogger(),
    extra: {
      max: poolSize,
      // Session time zone UTC: CURRENT_TIMESTAMP defaults of `timestamp` columns then hold UTC too.
      options: `-c TimeZone=UTC${timeout}`,
      // Waiting for a busy pool, or for a connection to open, ends after this (SERVICE_UNAVAILABLE).
      connectionTimeoutMillis: poolWaitMs,
      // Idle connections stay this long (0: for good), with their prepared statements.
      idleTimeoutMillis: idleTimeoutMs,
      application_name: "calcom-graphql-gateway",
      // A peer that vanished (partition, failover) is noticed on idle connections too.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      gateway,
    },
  });
}
