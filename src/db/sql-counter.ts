import { AsyncLocalStorage } from "node:async_hooks";
import { AbstractLogger, type LogLevel, type LogMessage, type QueryRunner } from "typeorm";

/** Per-request bookkeeping that must follow the async call chain (DataLoader batches included). */
export interface RequestStore {
  sqlStatements: number;
  /** A query operation: its reads may go to a replica (mutations and their read-backs use the primary). */
  readOnly?: boolean;
}

/** The store of the request being served, if any. */
export const requestStore = new AsyncLocalStorage<RequestStore>();

/** Counts one SQL statement against the current request. */
export function countStatement(): void {
  const store = requestStore.getStore();
  if (store) store.sqlStatements += 1;
}

/**
 * TypeORM logger that counts every statement sent to Postgres against the current request. The count
 * shows up in the request log and the `X-SQL-Statements` header (outside production), so tests and
 * benchmarks can prove that no query runs per row. Query errors are left to the caller's error path.
 */
export class SqlCountingLogger extends AbstractLogger {
  override logQuery(_query: string, _parameters?: unknown, _queryRunner?: QueryRunner): void {
    countStatement();
  }

  protected override writeLog(
    _level: LogLevel,
    _message: LogMessage | string | number | (LogMessage | string | number)[],
    _queryRunner?: QueryRunner,
  ): void {
    // Nothing is written: request logs carry the count, and errors are logged where they are handled.
  }
}
