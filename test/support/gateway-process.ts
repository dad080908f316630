import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { freePort } from "../../src/db/embedded-postgres";
import path from "node:path";
import type { AnyJson } from "./json";

/**
 * The BUILT gateway (`dist/src/main.js`, built by `npm test`) as a real child process, for what only
 * a process shows: exits, resident memory, signals, and answers (or none) over real sockets. Every
 * call to it is bounded, so a hung gateway fails the test with a message rather than a jest timeout.
 */
export const GATEWAY_MAIN = path.join(__dirname, "..", "..", "dist", "src", "main.js");

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every 100 ms until it returns something other than undefined, null or false. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

export { freePort };

export interface GqlResult<T = Record<string, AnyJson>> {
  status: number;
  headers: Headers;
  body: { data?: T | null; errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, AnyJson> }> };
  /** Wall time of the request, answer body included. */
  ms: number;
}

/**
 * POSTs a GraphQL operation to `url` (`http://host:port/graphql`), with `key` as the Bearer token when
 * given. Rejects with a clear message when no complete answer arrives within `timeoutMs`, or when the
 * answer is not JSON.
 */
export async function postGraphql<T = Record<string, AnyJson>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  key?: string,
  timeoutMs = 30_000,
): Promise<GqlResult<T>> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key) headers.authorization = `Bearer ${key}`;
  const began = Date.now();
  try {
    const res = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: GqlResult<T>["body"];
    try {
      body = JSON.parse(text) as GqlResult<T>["body"];
    } catch {
      throw new Error(`HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    return { status: res.status, headers: res.headers, body, ms: Date.now() - began };
  } catch (err) {
    if ((err as Error).name === "TimeoutError") {
      throw new Error(`no answer from ${url} within ${timeoutMs} ms for ${query.slice(0, 100)}`, { cause: err });
    }
    throw err;
  }
}

/** The status of GET `url`, its body read; rejects with a clear message after `timeoutMs`. */
export async function getStatus(url: string, timeoutMs = 30_000): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch (err) {
    if ((err as Error).name === "TimeoutError") throw new Error(`no answer from ${url} within ${timeoutMs} ms`, { cause: err });
    throw err;
  }
}

export interface GatewayProcess {
  /** `http://127.0.0.1:PORT` (no path). */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** POSTs to /graphql; see postGraphql. */
  gql<T = Record<string, AnyJson>>(
    query: string,
    variables?: Record<string, unknown>,
    key?: string,
    timeoutMs?: number,
  ): Promise<GqlResult<T>>;
  /** The status of GET /readyz (rejects after `timeoutMs`, default 30 s, with no answer). */
  readyz(timeoutMs?: number): Promise<number>;
  /** Everything the process printed so far, stdout and stderr interleaved (at most the last 4 MB). */
  output(): string;
  /** True until the process has exited. */
  alive(): boolean;
  /** Sends `signal` (default SIGTERM) unless it has exited already; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resident memory (VmRSS from /proc/PID/status), or undefined once exited or where there is no /proc. */
  rssBytes(): number | undefined;
}

const OUTPUT_LIMIT = 4 * 1024 * 1024;
const BANNER = /ready at http:\/\/localhost:(\d+)\/graphql/;

/** Children still running when the test process exits are killed with it. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Starts the built gateway with `env` on top of this process's environment, minus DATABASE_URL and
 * REDIS_URL (the test says which database and Redis the gateway uses; an inherited one would be the
 * harness's). Waits for:
 * - `"ready"` (default): the banner ("ready at http://localhost:PORT/graphql"), printed once the
 *   database is connected and migrated. PORT defaults to 0; the real port comes from the banner;
 * - `"listening"`: /healthz answering, which happens before the database is connected (the gateway
 *   listens first, /readyz says 503 meanwhile). PORT defaults to a free port, as the banner may never come.
 * Rejects, with the output so far, when the process exits first or `timeoutMs` (default 30 s) passes.
 */
export async function startGatewayProcess(
  options: { env?: Record<string, string>; wait?: "ready" | "listening"; timeoutMs?: number; nodeArgs?: string[] } = {},
): Promise<GatewayProcess> {
  const wait = options.wait ?? "ready";
  const timeoutMs = options.timeoutMs ?? 30_000;
  const env: Record<string, string> = { ...options.env };
  if (env.PORT === undefined) env.PORT = wait === "ready" ? "0" : String(await freePort());
  if (wait === "listening" && env.PORT === "0")
    throw new Error('wait: "listening" needs a known PORT (the banner gives it only once ready)');
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...inherited } = process.env;

  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), GATEWAY_MAIN], {
    env: { ...inherited, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let out = "";
  let bannerPort: number | undefined;
  const collect = (chunk: Buffer) => {
    out += chunk.toString();
    if (bannerPort === undefined) {
      const match = BANNER.exec(out);
      if (match) bannerPort = Number(match[1]);
    }
    if (out.length > OUTPUT_LIMIT) out = out.slice(out.length - OUTPUT_LIMIT);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      exitCode = code;
      running.delete(child);
      resolve(code);
    }),
  );
  const alive = () => exitCode === undefined;
  const kill = (signal: NodeJS.Signals) => {
    if (alive()) child.kill(signal);
    return exited;
  };

  const fixedPort = Number(env.PORT);
  const healthz = (port: number) =>
    getStatus(`http://127.0.0.1:${port}/healthz`, 2_000).then(
      (s) => s === 200,
      () => false,
    );
  let port: number;
  try {
    port = await until(
      wait === "ready" ? "the gateway's ready banner" : "the gateway's /healthz",
      async () => {
        if (!alive()) throw new Error(`the gateway exited with code ${exitCode} before it was ${wait}`);
        if (wait === "ready") return bannerPort;
        return (await healthz(fixedPort)) ? fixedPort : undefined;
      },
      timeoutMs,
    );
  } catch (err) {
    await kill("SIGKILL");
    throw new Error(`${(err as Error).message}\n--- gateway output ---\n${out}`, { cause: err });
  }

  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    pid: child.pid!,
    child,
    exited,
    gql: (query, variables, key, ms) => postGraphql(`${url}/graphql`, query, variables, key, ms),
    readyz: (ms = 30_000) => getStatus(`${url}/readyz`, ms),
    output: () => out,
    alive,
    stop: (signal = "SIGTERM") => kill(signal),
    rssBytes: () => {
      if (!alive()) return undefined;
      try {
        const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1];
        return kb === undefined ? undefined : Number(kb) * 1024;
      } catch {
        return undefined;
      }
    },
  };
}
