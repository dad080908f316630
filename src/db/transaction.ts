import type { DataSource, EntityManager, QueryRunner } from "typeorm";
import type { IsolationLevel } from "typeorm/driver/types/IsolationLevel";
import { cached } from "../cached";
import { classifyFault, faultTagOf, tagFault } from "./faults";
import type { GatewayClient } from "./pg-client";
import { deadlinePassed, withCountedRunner, type RequestStore } from "./sql-counter";

/** How often a transaction that deadlocked (`40P01`) or failed to serialize (`40001`) is run again. */
export const TRANSACTION_RETRIES = 3;

/** The error a transaction fails with when the request's deadline passed before it could commit. */
function deadlineError(): Error {
  return tagFault(new Error("The request's deadline passed before its transaction could commit."), {
    phase: "query",
    connectionLost: false,
    deadline: true,
    prepared: false,
  });
}

/**
 * Runs `work` in one transaction on a counted query runner, bound to the request's deadline
 * (`store.deadline`): every statement must finish by it (pg-client.ts abandons the connection
 * otherwise, and Postgres rolls the transaction back), and COMMIT is never sent after it or after
 * the TIMEOUT answer went out, so a request answered TIMEOUT never commits afterwards. A COMMIT sent
 * in time is counted in `store.deadline.commitsInFlight`, so the request timeout waits for it
 * instead of answering TIMEOUT for a write that happened; a COMMIT whose answer is lost is
 * SERVICE_UNAVAILABLE (its outcome is unknown), never TIMEOUT.
 *
 * A deadlock (`40P01`) or serialization failure (`40001`) runs the whole transaction again, up to
 * TRANSACTION_RETRIES times after the first; `work` must therefore do nothing outside the
 * transaction. When retries run out the error is left to the caller (503 CONTENTION).
 */
export async function inTransaction<T>(
  dataSource: DataSource,
  store: RequestStore | undefined,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    // No connection is taken for a transaction that could not commit anyway.
    if (deadlinePassed(store?.deadline)) throw deadlineError();
    try {
      return await withCountedRunner(dataSource, store, (runner) => runOnce(runner, store, work));
    } catch (err) {
      if (attempt >= TRANSACTION_RETRIES || classifyFault(err) !== "contention") throw err;
      // A little jitter, so the transactions that collided do not collide again.
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * (attempt + 1)));
    }
  }
}

/** The isolation level of each data source's write transactions, decided on first use. */
const isolation = new WeakMap<DataSource, Promise<IsolationLevel>>();

/**
 * READ COMMITTED, or SERIALIZABLE when that is the database's default. The slot rules read after
 * taking their advisory locks and must see what the writer before them committed: under REPEATABLE
 * READ the snapshot would be that of the transaction's first read, taken before the lock, so two
 * writers could both see a free slot. SERIALIZABLE detects such a race itself (40001, retried).
 */
function isolationFor(runner: QueryRunner): Promise<IsolationLevel> {
  const dataSource = runner.connection;
  return cached(isolation, dataSource, () => {
    const level = runner
      .query(`SHOW default_transaction_isolation`)
      .then((rows: Array<{ default_transaction_isolation: string }>): IsolationLevel =>
        rows[0]?.default_transaction_isolation === "serializable" ? "SERIALIZABLE" : "READ COMMITTED",
      );
    // A failed look-up (the database went away) is asked again by the next transaction.
    level.catch(() => isolation.delete(dataSource));
    return level;
  });
}

/**
 * Runs `hook` once the transaction of `m` has committed (never when it rolls back); outside a
 * transaction, at once. For announcements that must not hold the commit (booking-event wake-ups).
 */
export function afterCommit(m: EntityManager, hook: () => void): void {
  const data = m.queryRunner?.data as { afterCommit?: Array<() => void> } | undefined;
  if (!data || !m.queryRunner?.isTransactionActive) return hook();
  (data.afterCommit ??= []).push(hook);
}

async function runOnce<T>(runner: QueryRunner, store: RequestStore | undefined, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  const client = (await runner.connect()) as GatewayClient;
  const hooks = runner.data as { afterCommit?: Array<() => void> };
  hooks.afterCommit = [];
  const deadline = store?.deadline;
  client.boundDeadline = deadline?.at;
  try {
    await runner.startTransaction(await isolationFor(runner));
    const result = await work(runner.manager);
    // Checked in the same tick as the COMMIT is sent: the TIMEOUT answer cannot slip in between.
    if (deadlinePassed(deadline)) throw deadlineError();
    // COMMIT itself runs under the statement deadline only: once sent, its outcome is awaited.
    client.boundDeadline = undefined;
    if (deadline) deadline.commitsInFlight += 1;
    try {
      await runner.commitTransaction();
    } catch (err) {
      // Postgres refused the COMMIT (a serialization failure, say): an answer like any other. No
      // answer at all (connection lost, deadline): whether it committed is unknown.
      if (client.alive && !faultTagOf(err)?.deadline) throw err;
      // (A new error: the lost statement's own record, "deadline", would make it a TIMEOUT.)
      throw tagFault(new Error(`The COMMIT's outcome is unknown: its connection failed before it answered (${(err as Error).message}).`), {
        phase: "query",
        connectionLost: true,
        deadline: false,
        prepared: false,
      });
    } finally {
      if (deadline) deadline.commitsInFlight -= 1;
    }
    for (const hook of hooks.afterCommit.splice(0)) hook();
    return result;
  } catch (err) {
    client.boundDeadline = undefined;
    if (!client.alive) {
      // The connection died under the transaction (terminated, reset): whatever the error says
      // (TypeORM reports a runner it released on the connection's error as "already released"), the
      // database went away. Postgres rolled back, unless it was the COMMIT that was lost.
      throw tagFault(err, { phase: "query", connectionLost: true, deadline: false, prepared: false });
    }
    // A connection whose ROLLBACK failed may still be inside the transaction: it is not reused.
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => client.abandon());
    throw err;
  } finally {
    client.boundDeadline = undefined;
  }
}
