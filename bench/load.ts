import { spawn } from "node:child_process";
import path from "node:path";
import autocannon from "autocannon";

/**
 * The bench's load generator: autocannon over HTTP, every response's time kept (autocannon's own
 * histogram keeps whole milliseconds, which at a p50 of a few milliseconds moves p99 ÷ p50 by
 * tenths).
 *
 * `npm run bench` runs it as a process of its own (loadInProcess below), like the gateway and the
 * floor: in the bench's own process, whose event loop and heap also carry the run, the same gateway
 * measured p99 ÷ p50 of 3.06 to 3.39 at 10 connections and 3.56 to 3.90 at 1, against 2.26 to 2.96
 * and 2.59 to 3.08 from a process of its own (2026-12-02, three 10 s rounds each): the load
 * generator's pauses were counted as the server's.
 */

export interface LoadJob {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  connections: number;
  seconds: number;
  /** The body of every request (none for GET). */
  body?: string;
}

export interface LoadResult {
  /** Responses per second (autocannon's average over the seconds). */
  rps: number;
  /** Responses received. */
  total: number;
  /** Socket errors, timeouts, non-2xx statuses, and 200 responses carrying GraphQL `errors`. */
  errors: number;
  /** Every response's time, ms, in arrival order. */
  latencies: number[];
}

/**
 * Runs `job` in this process; `nextBody`, when given, makes each request's body (a scenario whose
 * every request differs, which a process of its own cannot be handed).
 */
export function runLoad(job: LoadJob, nextBody?: () => string): Promise<LoadResult> {
  let graphqlErrors = 0;
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const run = autocannon(
      {
        url: job.url,
        method: job.method,
        headers: job.headers,
        connections: job.connections,
        duration: job.seconds,
        requests: [
          {
            setupRequest: (req) => (job.method === "GET" ? req : { ...req, body: nextBody ? nextBody() : job.body }),
            // A GraphQL error in the body, or (REST) any status but 200.
            onResponse: (status, resBody) => {
              if (resBody.includes('"errors"') || status !== 200) graphqlErrors += 1;
            },
          },
        ],
      },
      (err: Error | null, res) =>
        err
          ? reject(err)
          : resolve({
              rps: res.requests.average,
              total: res.requests.total,
              errors: res.errors + res.non2xx + res.timeouts + graphqlErrors,
              latencies,
            }),
    );
    run.on("response", (_client, _status, _bytes, ms: number) => latencies.push(ms));
  });
}

/** Runs `job` in a process of its own (this file's entry point) and returns its result. */
export function loadInProcess(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, "load.js")], { stdio: ["pipe", "pipe", "inherit"] });
    // A load generator that has not answered a minute after its run ended is stuck: the bench goes on.
    const stuck = setTimeout(() => child.kill("SIGKILL"), (job.seconds + 60) * 1_000);
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => (out += chunk));
    child.stdin.on("error", () => undefined); // a child that died early: its exit says so
    child.once("error", (err) => {
      clearTimeout(stuck);
      reject(err);
    });
    // "close", not "exit": the child's output may still be in the pipe when it exits.
    child.once("close", (code, signal) => {
      clearTimeout(stuck);
      if (code !== 0) return reject(new Error(`the load generator exited with ${signal ?? code}`));
      try {
        resolve(JSON.parse(out) as LoadResult);
      } catch {
        reject(new Error(`the load generator's answer is not JSON: ${out.slice(0, 200)}`));
      }
    });
    child.stdin.end(JSON.stringify(job));
  });
}

/** Entry point: a LoadJob as JSON on standard input, its LoadResult as JSON on standard output. */
if (require.main === module) {
  let input = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk: string) => (input += chunk));
  process.stdin.on("end", () => {
    runLoad(JSON.parse(input) as LoadJob).then(
      // Microseconds are enough; the process ends once its answer is written (autocannon's agents may linger).
      (result) =>
        process.stdout.write(JSON.stringify({ ...result, latencies: result.latencies.map((ms) => Math.round(ms * 1e3) / 1e3) }), () =>
          process.exit(0),
        ),
      (err: Error) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
