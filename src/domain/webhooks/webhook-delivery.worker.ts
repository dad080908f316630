import { randomUUID } from "node:crypto";
import { contextOf, injectTrace, inSpan, SpanKind, traceContext } from "../../tracing";
import { EventEmitter } from "node:events";
import pg from "pg";
import { run, type Runner, type Task, type WorkerEvents, type WorkerPool } from "graphile-worker";
import { Counter, type Registry } from "prom-client";
import type { WebhookConfig } from "../../config";
import type { Logger } from "../../logger";
import { retryDelayMs } from "./retry-schedule";
import { sendWebhook } from "./webhook-sender";
import { webhookHeaders } from "./webhook-signature";
import { addAttemptJobSql, jobKeySql, WEBHOOK_SWEEP_TASK, WEBHOOK_TASK, WORKER_SCHEMA } from "./webhook-outbox";
import { workerLogger } from "./worker-logger";

/**
 * How jobs are marked done or failed. Unbatched (the default, -1), graphile-worker 0.17 does it
 * without awaiting: a database error at that moment (a connection reset, a pool timeout) was an
 * unhandled rejection, which ends a Node process. Batched, the failure reaches its error handler,
 * which shuts the pool down; the runner then ends and is started again (WebhookWorker.boot). The job
 * stays locked until graphile-worker's lock expires, then runs again: a delivery may be repeated,
 * never lost (at least once). Pinned against the library by webhook-delivery.worker.test.ts.
 */
export const JOB_SETTLEMENT = { completeJobBatchDelay: 0, failJobBatchDelay: 0 } as const;

/**
 * Delivers queued webhooks: graphile-worker (schema `gateway_worker`) holds one job per attempt to
 * make; its workers on every instance take jobs with `SKIP LOCKED` and wake on LISTEN/NOTIFY, so a
 * delivery starts within milliseconds of the commit that queued it, on exactly one instance.
 *
 * **An attempt, step by step** (job payload `{deliveryId, attempt}`):
 * 1. *Claim*, one statement: the delivery row moves from `attempts = attempt − 1` to `attempt` with a
 *    fresh `claim` id, only while PENDING; in the same statement the next attempt is queued under the
 *    delivery's job key, as a safety net timed after this attempt's deadline. A job whose claim
 *    matches nothing (the attempt was made, the delivery ended, or it was redelivered) does nothing:
 *    an attempt runs at most once whatever the queue does.
 * 2. *Send* (webhook-sender.ts): no redirects, WEBHOOK_TIMEOUT_MS, the address check.
 * 3. *Record*, one statement, only where `claim` is still ours: DELIVERED (and the safety net
 *    removed), or the next attempt re-timed to base × 2^(n−1) (+≤20%), or FAILED after
 *    WEBHOOK_MAX_ATTEMPTS (safety net removed).
 * If the process dies between 1 and 3, the safety net makes the next attempt after restart (or on
 * another instance), and a crash on the last attempt marks the delivery FAILED. A process that dies
 * before taking the job leaves it queued; the next worker takes it.
 *
 * **The sweeper** (a graphile-worker cron task, every minute, on one instance): a job taken by a
 * process that died before step 1 stays locked for graphile-worker's four hours, and a job key that
 * was held by a running job when a redelivery queued the delivery is not replaced. A PENDING
 * delivery overdue by a minute with no waiting job and no job taken in the last minute is queued
 * again for its next attempt; the claim rule keeps that from ever repeating an attempt.
 *
 * Why not graphile-worker's own retries: its backoff is fixed (exp(min(attempts, 10)) seconds) where
 * the contract sets base × 2^(n−1) with jitter, and a job locked by a killed process waits four hours
 * before it runs again. Its retries only cover a failure to record (the database away): such a retry
 * finds the attempt already claimed and stops.
 */

export const DELIVERY_RESULTS = ["delivered", "retry", "failed"] as const;

export interface WebhookWorkerOptions {
  url: string;
  config: WebhookConfig;
  logger: Logger;
  registry: Registry;
}

interface Claimed {
  id: string;
  webhook_id: string;
  trigger: string;
  payload: Record<string, unknown>;
  attempts: number;
  subscriberUrl: string | null;
  secret: string | null;
  usable: boolean | null;
  traceparent: string | null;
}

/** How overdue a PENDING delivery without a live job must be before the sweeper queues it again. */
const SWEEP_AFTER = "1 minute";
/** Deliveries queued again per sweep. */
const SWEEP_BATCH = 500;
/** Margin past an attempt's deadline before its safety net may run. */
const SAFETY_MARGIN_MS = 5_000;
const RESTART_MS = [1_000, 2_000, 5_000, 10_000];
/** graphile-worker polls for jobs that became due this often; wake-ups (below) make retries punctual. */
const POLL_MS = 2_000;
/** Most retry wake-ups remembered; beyond them a retry waits for the next poll. */
const MAX_WAKEUPS = 1_000;

/**
 * Wakes the local worker pool when a retry it scheduled is due: graphile-worker wakes on NOTIFY when
 * a job is added, but a job added for later is only found by its next poll (POLL_MS), which would
 * make a 100 ms backoff 2 s. One timer, for the earliest due time; other instances poll.
 */
class RetryWakeups {
  private readonly due: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly wake: () => void) {}

  at(time: number): void {
    const i = this.due.findIndex((t) => t > time);
    this.due.splice(i < 0 ? this.due.length : i, 0, time);
    if (this.due.length > MAX_WAKEUPS) this.due.pop();
    this.arm();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.due.length === 0) return;
    this.timer = setTimeout(
      () => {
        const now = Date.now();
        while (this.due.length && this.due[0] <= now + 5) this.due.shift();
        this.wake();
        this.arm();
      },
      Math.max(0, this.due[0] - Date.now()) + 5,
    );
    this.timer.unref();
  }

  clear(): void {
    this.due.length = 0;
    this.arm();
  }
}

/** Queues again the PENDING deliveries overdue by SWEEP_AFTER that have no live job; answers how many. */
export async function sweepOverdueDeliveries(db: { query: pg.Pool["query"] }): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM (
       SELECT d.id, d.attempts FROM gateway.webhook_deliveries d
       WHERE d.status = 'PENDING' AND d.next_attempt_at < (now() AT TIME ZONE 'UTC') - interval '${SWEEP_AFTER}'
         AND NOT EXISTS (SELECT 1 FROM ${WORKER_SCHEMA}.jobs j WHERE j.key = ${jobKeySql("d.id")}
                           AND (j.locked_at IS NULL OR j.locked_at > now() - interval '${SWEEP_AFTER}'))
       ORDER BY d.next_attempt_at LIMIT ${SWEEP_BATCH}) s,
     LATERAL ${addAttemptJobSql("s.id", "s.attempts + 1", "now()")} j`,
  );
  return Number(rows[0]?.n ?? 0);
}

export class WebhookWorker {
  private readonly pool: pg.Pool;
  private runner: Runner | undefined;
  private stopped = false;
  private starting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private workerPool: WorkerPool | undefined;
  private readonly wakeups = new RetryWakeups(() => this.workerPool?.nudge(1));
  private readonly deliveries: Counter<"trigger" | "result">;

  constructor(private readonly options: WebhookWorkerOptions) {
    const { config } = options;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: config.concurrency + 2, // the jobs, graphile-worker's LISTEN connection, and its housekeeping
      application_name: "calcom-graphql-gateway-webhooks",
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      statement_timeout: 15_000,
      query_timeout: 20_000,
      options: "-c TimeZone=UTC",
    });
    // A connection that dies while idle, or while checked out, must not take the process with it.
    this.pool.on("error", (err) => options.logger.warn("webhook worker connection lost", { error: err.message }));
    this.pool.on("connect", (client) =>
      client.on("error", (err) => options.logger.warn("webhook worker connection lost", { error: err.message })),
    );
    this.deliveries =
      (options.registry.getSingleMetric("gateway_webhook_deliveries_total") as Counter<"trigger" | "result"> | undefined) ??
      new Counter({
        name: "gateway_webhook_deliveries_total",
        help: "Webhook delivery attempts by trigger and result: delivered, retry (failed, tried again later), failed (failed for good).",
        labelNames: ["trigger", "result"],
        registers: [options.registry],
      });
  }

  /** Starts the workers; while the database is away it keeps trying (it never throws). */
  start(): void {
    if (this.options.config.concurrency <= 0 || this.stopped) return;
    this.starting = this.boot();
  }

  private async boot(): Promise<void> {
    try {
      const events = new EventEmitter() as WorkerEvents;
      events.on("pool:create", ({ workerPool }) => {
        this.workerPool = workerPool;
      });
      const runner = await run({
        pgPool: this.pool,
        noHandleSignals: true,
        taskList: { [WEBHOOK_TASK]: this.task, [WEBHOOK_SWEEP_TASK]: this.sweep },
        crontab: `* * * * * ${WEBHOOK_SWEEP_TASK} ?max=1`,
        preset: {
          worker: {
            schema: WORKER_SCHEMA,
            concurrentJobs: this.options.config.concurrency,
            pollInterval: POLL_MS,
            events,
            logger: workerLogger(this.options.logger),
            gracefulShutdownAbortTimeout: 5_000,
            ...JOB_SETTLEMENT,
          },
        },
      });
      if (this.stopped) {
        await runner.stop().catch(() => undefined);
        return;
      }
      this.runner = runner;
      this.failures = 0;
      // A runner whose database connection died ends, with an error or (after a failed job
      // completion, which shuts its pool down gracefully) without: start a new one.
      const ended = (err?: Error) => {
        if (this.stopped) return;
        this.runner = undefined;
        this.options.logger.warn("webhook worker stopped; restarting", { error: err?.message ?? "the worker pool shut down" });
        this.scheduleRestart();
      };
      runner.promise.then(() => ended(), ended);
    } catch (err) {
      if (this.stopped) return;
      this.options.logger.warn("webhook worker cannot start yet; retrying", { error: (err as Error).message });
      this.scheduleRestart();
    }
  }

  private scheduleRestart(): void {
    const wait = RESTART_MS[Math.min(this.failures++, RESTART_MS.length - 1)];
    this.retryTimer = setTimeout(() => {
      if (!this.stopped) this.starting = this.boot();
    }, wait);
    this.retryTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeups.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.starting?.catch(() => undefined);
    await this.runner?.stop().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  private readonly sweep: Task = async () => {
    const n = await sweepOverdueDeliveries(this.pool);
    if (n) this.options.logger.warn("webhook deliveries queued again by the sweeper", { deliveries: n });
  };

  private readonly task: Task = async (payload) => {
    const { deliveryId, attempt } = payload as { deliveryId: number | string; attempt: number };
    await this.attempt(String(deliveryId), Number(attempt));
  };

  private async attempt(deliveryId: string, attempt: number): Promise<void> {
    const { config, logger } = this.options;
    if (attempt > config.maxAttempts) {
      // The safety net of an interrupted last attempt.
      const failed = await this.pool.query<{ trigger: string }>(
        `WITH f AS (UPDATE gateway.webhook_deliveries SET status = 'FAILED', claim = NULL, next_attempt_at = NULL,
                      last_error = COALESCE(last_error, 'the last attempt was interrupted')
                    WHERE id = $1 AND status = 'PENDING' AND attempts = $2 - 1 RETURNING "trigger")
         SELECT "trigger" FROM f`,
        [deliveryId, attempt],
      );
      if (failed.rows[0]) this.deliveries.inc({ trigger: failed.rows[0].trigger, result: "failed" });
      return;
    }
    const claim = randomUUID();
    const safetyMs = config.timeoutMs + SAFETY_MARGIN_MS + retryDelayMs(attempt, config.retryBaseMs, 1);
    const { rows } = await this.pool.query<Claimed>(
      `WITH c AS (
         UPDATE gateway.webhook_deliveries d SET attempts = d.attempts + 1, claim = $3,
           next_attempt_at = (now() AT TIME ZONE 'UTC') + $4 * interval '1 millisecond'
         WHERE d.id = $1 AND d.status = 'PENDING' AND d.attempts = $2 - 1
         RETURNING d.id, d.webhook_id, d."trigger", d.payload, d.attempts, d.traceparent),
       net AS (SELECT ${addAttemptJobSql("c.id", "c.attempts + 1", "now() + $4 * interval '1 millisecond'")} FROM c)
       SELECT c.id::text AS id, c.webhook_id, c."trigger" AS trigger, c.payload, c.attempts, c.traceparent,
              w."subscriberUrl" AS "subscriberUrl", w.secret, (w.active AND NOT w.platform) AS usable, (SELECT count(*) FROM net) AS net
       FROM c LEFT JOIN "Webhook" w ON w.id = c.webhook_id`,
      [deliveryId, attempt, claim, safetyMs],
    );
    const d = rows[0];
    if (!d) return; // made already, finished, or redelivered since this job was queued

    const createdAt = new Date();
    let result: Awaited<ReturnType<typeof sendWebhook>>;
    if (!d.subscriberUrl || !d.usable) {
      result = {
        ok: false,
        statusCode: null,
        error: d.subscriberUrl ? "the webhook is no longer active" : "the webhook no longer exists",
        blocked: true,
        durationMs: 0,
      };
    } else {
      const body = JSON.stringify({ triggerEvent: d.trigger, createdAt: createdAt.toISOString(), payload: d.payload });
      const url = d.subscriberUrl;
      // With tracing on, the attempt is a span in the mutation's trace, and the receiver gets it as `traceparent`.
      result = await traceContext.with(contextOf(d.traceparent), () =>
        inSpan(
          "webhook delivery",
          { "webhook.id": d.webhook_id, "webhook.trigger": d.trigger, "webhook.attempt": d.attempts },
          () =>
            sendWebhook(url, body, injectTrace(webhookHeaders(d.id, body, d.secret, createdAt.getTime())), {
              timeoutMs: config.timeoutMs,
              blockPrivateAddresses: config.blockPrivateAddresses,
            }),
          SpanKind.CLIENT,
        ),
      );
    }

    // A blocked address or a vanished webhook will not get better: no retry.
    const final = result.ok || (!result.ok && result.blocked) || d.attempts >= config.maxAttempts;
    const outcome = result.ok ? "delivered" : final ? "failed" : "retry";
    const nextMs = outcome === "retry" ? retryDelayMs(d.attempts, config.retryBaseMs) : 0;
    const recorded = await this.pool.query(
      outcome === "retry"
        ? `WITH u AS (UPDATE gateway.webhook_deliveries SET claim = NULL, last_status_code = $3, last_error = $4,
                        next_attempt_at = (now() AT TIME ZONE 'UTC') + $5 * interval '1 millisecond'
                      WHERE id = $1 AND claim = $2 RETURNING id, attempts)
           SELECT ${addAttemptJobSql("u.id", "u.attempts + 1", "now() + $5 * interval '1 millisecond'")} FROM u`
        : `WITH u AS (UPDATE gateway.webhook_deliveries SET claim = NULL, last_status_code = $3, last_error = $4, next_attempt_at = NULL,
                        status = $5, delivered_at = CASE WHEN $5 = 'DELIVERED' THEN now() AT TIME ZONE 'UTC' END
                      WHERE id = $1 AND claim = $2 RETURNING id)
           SELECT ${WORKER_SCHEMA}.remove_job(${jobKeySql("u.id")}) FROM u`,
      [
        d.id,
        claim,
        result.statusCode,
        result.ok ? null : result.error,
        outcome === "retry" ? nextMs : outcome === "delivered" ? "DELIVERED" : "FAILED",
      ],
    );
    if (outcome === "retry" && recorded.rowCount) this.wakeups.at(Date.now() + nextMs);
    // A superseded attempt (redelivered while in flight) is not counted: the new one will be.
    if (recorded.rowCount) this.deliveries.inc({ trigger: d.trigger, result: outcome });
    const fields = {
      webhookId: d.webhook_id,
      deliveryId: d.id,
      trigger: d.trigger,
      attempt: d.attempts,
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      result: outcome,
      ...(result.ok ? {} : { error: result.error }),
      ...(outcome === "retry" ? { nextAttemptInMs: nextMs } : {}),
      ...(recorded.rowCount === 0 ? { superseded: true } : {}),
    };
    if (outcome === "failed") logger.warn("webhook attempt", fields);
    else logger.info("webhook attempt", fields);
  }
}
