import { Client } from "pg";
import { backendMemory, processMemory } from "./proc-memory";

/**
 * The memory bounds of the contract ("Robustness: faults"), measured from outside on a running
 * gateway process: thousands of distinct operations (every query text different, literal ids as the
 * README's examples write them), then thousands of distinct pages, sampling the process's resident
 * memory and, at the end, each database connection's own memory (its backend's Pss_Anon). Used by
 * `test/memory-bounds.test.ts` (a smaller count) and `npm run bench` (the full count).
 */

export interface MemoryScenario {
  /** The gateway's base URL (`http://127.0.0.1:PORT`). */
  url: string;
  /** The gateway's process id (its /proc entry is read). */
  pid: number;
  /** An API key that may read the bookings. */
  key: string;
  /** Booking ids that exist (the operations cycle through them). */
  bookingIds: number[];
  /** How many distinct operations, then how many distinct pages. */
  operations: number;
  pages: number;
  /** A connection to the gateway's database server, and the database's name (for pg_stat_activity). */
  adminUrl: string;
  databaseName: string;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Resident memory is sampled after every this many requests (default 1,000). */
  sampleEvery?: number;
}

export interface MemorySample {
  phase: "operations" | "pages";
  done: number;
  rssMb: number;
}

export interface MemoryReport {
  samples: MemorySample[];
  /** Answers that were not HTTP 200 with data (counted, with the first few). */
  failures: number;
  firstFailures: string[];
  /** Each of the gateway's backends: Pss_Anon in MB, or why it could not be read. */
  backends: Array<{ pid: number; pssAnonMb?: number; reason?: string }>;
  seconds: number;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

/** Distinct query texts: one booking by a literal id, the selection varied too so shapes differ. */
function operation(i: number, ids: number[]): string {
  const id = ids[i % ids.length];
  const extra = ["", " description", " attendees { email }", " user { name }"][i % 4];
  return `query Op${i} { booking(id: ${id}) { id title${extra} } }`;
}

/** Distinct pages of the list (literal page numbers: each a distinct text and a distinct OFFSET). */
function page(i: number): string {
  return `{ bookings(take: 2, page: ${i + 1}) { nodes { id title attendees { email } } } }`;
}

/** Runs the scenario (see the module comment) and reports what it measured. */
export async function runMemoryScenario(s: MemoryScenario): Promise<MemoryReport> {
  const began = Date.now();
  const concurrency = s.concurrency ?? 8;
  const sampleEvery = s.sampleEvery ?? 1_000;
  const samples: MemorySample[] = [];
  let failures = 0;
  const firstFailures: string[] = [];

  const rssMb = () => {
    const read = processMemory(s.pid);
    if ("reason" in read) throw new Error(read.reason);
    return mb(read.rssBytes);
  };
  const send = async (query: string) => {
    const res = await fetch(`${s.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${s.key}` },
      body: JSON.stringify({ query }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json()) as { data?: unknown; errors?: unknown[] };
    if (res.status !== 200 || !body.data || body.errors) {
      failures += 1;
      if (firstFailures.length < 5) firstFailures.push(`${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    }
  };
  const phase = async (name: MemorySample["phase"], count: number, text: (i: number) => string) => {
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        await send(text(i));
        done += 1;
        if (done % sampleEvery === 0 || done === count) samples.push({ phase: name, done, rssMb: rssMb() });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };

  samples.push({ phase: "operations", done: 0, rssMb: rssMb() });
  await phase("operations", s.operations, (i) => operation(i, s.bookingIds));
  await phase("pages", s.pages, page);

  const admin = new Client({ connectionString: s.adminUrl });
  await admin.connect();
  let backends: MemoryReport["backends"];
  try {
    backends = (await backendMemory(admin, s.databaseName))
      .filter((b) => b.applicationName === "calcom-graphql-gateway")
      .map((b) => (b.memory ? { pid: b.pid, pssAnonMb: mb(b.memory.pssAnonBytes) } : { pid: b.pid, reason: b.reason }));
  } finally {
    await admin.end();
  }
  return { samples, failures, firstFailures, backends, seconds: (Date.now() - began) / 1000 };
}
