import { AbstractLogger, type DataSource, type LogLevel, type LogMessage, type QueryRunner, type ReplicationMode } from "typeorm";

/**
 * Per-request bookkeeping, passed explicitly (request context, loaders, query runners) rather than
 * through AsyncLocalStorage: on this Node version that installs promise hooks that cost every
 * promise of every request (about 4% of a list request's CPU time, measured).
 */
export interface RequestStore {
  sqlStatements: number;
  /** A query operation: its reads may go to a replica (mutations and their read-backs use the primary). */
  readOnly?: boolean;
  /** The HTTP request's deadline, shared by every operation of a batch. */
  deadline?: RequestDeadline;
}

/** When an HTTP request is answered with TIMEOUT, and the COMMIT it is waiting for, if any. */
export interface RequestDeadline {
  /**
   * Epoch ms, REQUEST_TIMEOUT_MS after the request arrived: its transactions are bound to it
   * (transaction.ts) and never commit after it.
   */
  at: number;
  /** Set the moment the request was answered with TIMEOUT: from then on nothing commits. */
  expired: boolean;
  /**
   * COMMITs in flight (operations of a batch share the deadline): while any is, the request timeout
   * lets them finish rather than answer TIMEOUT for a write that happened.
   */
  commitsInFlight: number;
}

/** True once the request's deadline has passed or its TIMEOUT answer went out. */
export function deadlinePassed(deadline: RequestDeadline | undefined): boolean {
  return deadline !== undefined && (deadline.expired || Date.now() >= deadline.at);
}

/** What a counted query runner carries in `QueryRunner.data`. */
interface CountedRunnerData {
  store?: RequestStore;
}

/**
 * Runs `work` with a TypeORM query runner whose statements count against `store` (TypeORM hands the
 * runner to its logger with every statement), and releases it after. The runner takes a pool
 * connection on first use.
 */
export async function withCountedRunner<T>(
  dataSource: DataSource,
  store: RequestStore | undefined,
  work: (runner: QueryRunner) => Promise<T>,
  mode: ReplicationMode = "master",
): Promise<T> {
  const runner = dataSource.createQueryRunner(mode);
  (runner.data as CountedRunnerData) = { store };
  try {
    return await work(runner);
  } finally {
    await runner.release();
  }
}

/**
 * TypeORM logger that counts every statement run through a counted query runner against its
 * request. The count shows up in the request log, the metrics and the `X-SQL-Statements` header
 * (outside production), so tests and benchmarks can prove that no query runs per row. Statements the
 * gateway sends itself (fetchRows, loaders) are counted where they are sent. Query errors are left
 * to the caller's error path.
 */
export class SqlCountingLogger extends AbstractLogger {
  override logQuery(_query: string, _parameters?: unknown, queryRunner?: QueryRunner): void {
    const store = (queryRunner?.data as CountedRunnerData | undefined)?.store;
    if (store) store.sqlStatements += 1;
  }

  protected override writeLog(
    _level: LogLevel,
    _message: LogMessage | string | number | (LogMessage | string | number)[],
    _queryRunner?: QueryRunner,
  ): void {
    // Nothing is written: request logs carry the count, and errors are logged where they are handled.
  }
}
