import { readFileSync } from "node:fs";

/**
 * The memory of a database's backends, for the rule "each database connection's own memory (its
 * backend's anonymous memory, Pss_Anon) stays under 50 MB". Read from /proc/PID/smaps_rollup, so it
 * works only where Postgres runs on this machine, in this PID namespace, and /proc is readable (the
 * suite runs as root next to its Postgres). Otherwise each backend comes with a `reason` instead, for
 * the test to skip with a notice.
 */
export interface ProcessMemory {
  /** Anonymous memory divided among the processes sharing it: a backend's own heap, not shared buffers. */
  pssAnonBytes: number;
  rssBytes: number;
}

export interface BackendMemory {
  pid: number;
  applicationName: string;
  state: string | null;
  /** Undefined when /proc/PID could not be read; `reason` says why. */
  memory?: ProcessMemory;
  reason?: string;
}

/** What backendMemory needs of a client: a pg Client or Pool. */
export interface Queryable {
  query<R extends object>(sql: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/** Every client backend connected to `databaseName` (pg_stat_activity), with its memory. */
export async function backendMemory(admin: Queryable, databaseName: string): Promise<BackendMemory[]> {
  const { rows } = await admin.query<{ pid: number; application_name: string; state: string | null }>(
    `SELECT pid, application_name, state FROM pg_stat_activity
      WHERE datname = $1 AND backend_type = 'client backend' ORDER BY pid`,
    [databaseName],
  );
  return rows.map((row) => {
    const read = processMemory(row.pid, "postgres");
    return {
      pid: row.pid,
      applicationName: row.application_name,
      state: row.state,
      ...("reason" in read ? { reason: read.reason } : { memory: read }),
    };
  });
}

/**
 * Pss_Anon and Rss of a local process from /proc/PID/smaps_rollup. With `expectCommand`, the process's
 * name (/proc/PID/comm) must be it: a PID from a Postgres on another host (or in a container) may
 * name an unrelated local process.
 */
export function processMemory(pid: number, expectCommand?: string): ProcessMemory | { reason: string } {
  try {
    if (expectCommand !== undefined) {
      const command = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      if (command !== expectCommand) {
        return {
          reason: `pid ${pid} is not a local ${expectCommand} process here (a server on another host or in another PID namespace?)`,
        };
      }
    }
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const kb = (field: string) => new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(rollup)?.[1];
    const pssAnon = kb("Pss_Anon");
    const rss = kb("Rss");
    if (pssAnon === undefined || rss === undefined)
      return { reason: `/proc/${pid}/smaps_rollup has no Pss_Anon or Rss (kernel older than 5.10?)` };
    return { pssAnonBytes: Number(pssAnon) * 1024, rssBytes: Number(rss) * 1024 };
  } catch (err) {
    return { reason: `cannot read /proc/${pid}: ${(err as Error).message}` };
  }
}
