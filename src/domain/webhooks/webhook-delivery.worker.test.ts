import { spawnSync } from "node:child_process";
import path from "node:path";
import { urlForDatabase } from "../../../test/support/env";
import { createTestDatabase, dropTestDatabase } from "../../../test/support/harness";

/**
 * graphile-worker with the gateway's job settlement (JOB_SETTLEMENT, from the built module), on a
 * real Postgres, in a plain Node process (Jest's sandbox does not see a process's unhandled
 * rejections the way Node does): when marking a job done fails (the database went away at that
 * moment), no promise rejection is left unhandled (Node exits on one) and the runner ends, so
 * WebhookWorker starts a new one. With the library's default (unbatched) the same failure is an
 * unhandled rejection: the contrast shows the test can fail.
 */
const WORKER_MODULE = path.join(__dirname, "..", "..", "..", "dist", "src", "domain", "webhooks", "webhook-delivery.worker.js");

const SCRIPT = `
const { Logger, run } = require("graphile-worker");
const { Pool } = require("pg");
const [url, mode, workerModule] = process.argv.slice(1);
const settlement = mode === "gateway" ? require(workerModule).JOB_SETTLEMENT : { completeJobBatchDelay: -1, failJobBatchDelay: -1 };
process.on("unhandledRejection", (reason) => { console.log("unhandled: " + reason.message); process.exit(3); });
(async () => {
  const pool = new Pool({ connectionString: url, max: 4 });
  pool.on("error", () => undefined);
  let broken = false;
  const connect = pool.connect.bind(pool);
  // Once the task has run, the pool hands out no connection: what a reset or a pool timeout does.
  pool.connect = (...args) => (broken ? Promise.reject(new Error("timeout exceeded when trying to connect")) : connect(...args));
  const runner = await run({
    pgPool: pool,
    noHandleSignals: true,
    taskList: { settle: async () => { broken = true; } },
    preset: { worker: { schema: "gateway_worker_test_" + mode, concurrentJobs: 1, pollInterval: 100, gracefulShutdownAbortTimeout: 1000,
      logger: new Logger(() => () => undefined), ...settlement } },
  });
  runner.promise.then(() => { console.log("runner ended"); process.exit(0); }, (e) => { console.log("runner ended: " + e.message); process.exit(0); });
  await runner.addJob("settle", {});
  setTimeout(() => { console.log("runner still running"); process.exit(4); }, 10000);
})();
`;

describe("webhook worker: a job whose completion meets a database error", () => {
  let name: string;
  beforeAll(async () => {
    name = await createTestDatabase(false);
  });
  afterAll(async () => {
    await dropTestDatabase(name);
  });

  const settle = (mode: "gateway" | "default") =>
    spawnSync(process.execPath, ["-e", SCRIPT, urlForDatabase(name), mode, WORKER_MODULE], {
      cwd: path.join(__dirname, "..", "..", ".."),
      encoding: "utf8",
      timeout: 30_000,
    });

  it("with the gateway's settlement: nothing unhandled, and the runner ends (to be restarted)", () => {
    const r = settle("gateway");
    expect({ status: r.status, out: r.stdout.trim().split("\n").pop() }).toEqual({ status: 0, out: "runner ended" });
  });

  it("with the library's default: the failure is an unhandled rejection (why the setting exists)", () => {
    const r = settle("default");
    expect({ status: r.status, out: r.stdout.trim() }).toEqual({ status: 3, out: "unhandled: timeout exceeded when trying to connect" });
  });
});
