import { DataSource, type AbstractLogger } from "typeorm";
import { CalcomBookingSchema1764000000000 } from "../../migrations/1764000000000-CalcomBookingSchema";
import { GatewayLookupIndexes1764000000001 } from "../../migrations/1764000000001-GatewayLookupIndexes";
import { BookingKeysetIndex1764000000002 } from "../../migrations/1764000000002-BookingKeysetIndex";
import { ENTITIES } from "../entities";
import { SqlCountingLogger } from "./sql-counter";
import { pg } from "./utc";

/** The gateway's migrations, in order (imported, not globbed, so builds and tests see the same list). */
export const MIGRATIONS = [
  CalcomBookingSchema1764000000000,
  GatewayLookupIndexes1764000000001,
  BookingKeysetIndex1764000000002,
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
}

/** Builds (does not connect) the one DataSource: Cal.com's tables, UTC sessions, statement counting. */
export function createDataSource({ url, poolSize = 10, logger, replicaUrls = [], statementTimeoutMs = 0 }: DataSourceOptions): DataSource {
  const timeout = statementTimeoutMs > 0 ? ` -c statement_timeout=${statementTimeoutMs}` : "";
  return new DataSource({
    type: "postgres",
    ...(replicaUrls.length ? { replication: { master: { url }, slaves: replicaUrls.map((replica) => ({ url: replica })) } } : { url }),
    driver: pg,
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
      // Fail fast when the database is unreachable (SERVICE_UNAVAILABLE) instead of queueing.
      connectionTimeoutMillis: 2_000,
      application_name: "calcom-graphql-gateway",
    },
  });
}
