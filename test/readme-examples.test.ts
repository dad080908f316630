import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { loadDemoData } from "../src/seed/demo";
import { createTestDatabase, dropTestDatabase, startTestGateway, type TestGateway } from "./support/harness";
import type { AnyJson } from "./support/json";

/**
 * The README's shell examples, as a newcomer runs them: each block (found by its section heading) is
 * pasted twice into one bash against a gateway with the demo data. Both runs answer the same: no
 * error but the ones the comments promise, "upcoming" means from now, and what a run books it
 * cancels again (the README says what a run leaves behind).
 */

// README_EXAMPLES_FILE: run the examples of another copy (a draft, or a scratch copy to see a check fail).
const README = readFileSync(process.env.README_EXAMPLES_FILE ?? path.join(__dirname, "..", "README.md"), "utf8");
const SECOND_RUN = "=== readme-examples: second run ===";

const missing = ["bash", "curl", "jq"].filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);
if (spawnSync("date", ["-u", "-d", "next monday + 28 days", "+%F"]).status !== 0) missing.push("GNU date");
if (missing.length) console.warn(`[readme-examples] ${missing.join(", ")} not found: the README examples are not run.`);

interface Block {
  heading: string;
  text: string;
}

/** The ```sh blocks of a Markdown text with the heading they sit under (`#` lines inside fences are comments). */
function shBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  let heading = "";
  let fence: { lang: string; lines: string[] } | null = null;
  for (const line of markdown.split("\n")) {
    if (fence) {
      if (/^```\s*$/.test(line)) {
        if (fence.lang === "sh") blocks.push({ heading, text: fence.lines.join("\n") });
        fence = null;
      } else fence.lines.push(line);
    } else if (line.startsWith("```")) fence = { lang: line.slice(3).trim(), lines: [] };
    else {
      const match = /^#{1,6} (.+?)\s*$/.exec(line);
      if (match) heading = match[1];
    }
  }
  return blocks;
}

function blockUnder(heading: string, marker?: string): string {
  const found = shBlocks(README).filter((b) => b.heading === heading && (!marker || b.text.includes(marker)));
  if (found.length !== 1)
    throw new Error(`expected one sh block under "${heading}"${marker ? ` with ${marker}` : ""}, found ${found.length}`);
  return found[0].text;
}

/** The comment text of a block: whole-line comments and trailing `# …` comments. */
function comments(text: string): string {
  return text
    .split("\n")
    .map((line) => /(?:^|\s)#\s(.*)$/.exec(line)?.[1] ?? "")
    .join("\n");
}

/** The JSON objects printed one after another (curl answers, with or without newlines) and any other text. */
function parseOutput(text: string): { answers: AnyJson[]; stray: string[] } {
  const answers: AnyJson[] = [];
  const stray: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i])) {
      i += 1;
      continue;
    }
    if (text[i] === "{") {
      const end = endOfValue(text, i);
      if (end > 0) {
        try {
          answers.push(JSON.parse(text.slice(i, end)));
          i = end;
          continue;
        } catch {
          // not JSON after all: reported as stray text below
        }
      }
    }
    const newline = text.indexOf("\n", i);
    const stop = newline < 0 ? text.length : newline;
    stray.push(text.slice(i, stop));
    i = stop;
  }
  return { answers, stray };
}

function endOfValue(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i += 1) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth += 1;
    else if (c === "}" || c === "]") {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

const errorsOf = (answers: AnyJson[]): string[] =>
  answers.flatMap((a) =>
    (a.errors ?? []).map((e: { extensions?: { code?: string; reason?: string } }) =>
      [e.extensions?.code, e.extensions?.reason].filter(Boolean).join(" / "),
    ),
  );

/** v1's error answers are plain bodies (`{"message"}` or `{"error"}`); the cancel answer's message is a success. */
const v1ErrorsOf = (answers: AnyJson[]): string[] => [
  ...errorsOf(answers),
  ...answers.filter((a) => a.error != null || (a.message != null && a.success !== true)).map((a) => String(a.message ?? a.error)),
];

/**
 * The examples compute "next Monday" (UTC) with `date`: a block's two runs on either side of Monday
 * 00:00 UTC would book different weeks (the second run's promised SLOT_TAKEN would not come). So a
 * block never starts within MONDAY_GUARD_MS of that boundary; it waits until the boundary has passed.
 */
const MONDAY_GUARD_MS = 60_000;
jest.setTimeout(180_000);

/** Milliseconds until next Monday 00:00 UTC, as `date -u -d 'next monday'` names it (a week ahead on a Monday). */
function msToNextMondayUtc(now: Date): number {
  const daysAhead = (8 - now.getUTCDay()) % 7 || 7;
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + daysAhead) - now.getTime();
}

async function clearOfMondayBoundary(): Promise<void> {
  const wait = msToNextMondayUtc(new Date());
  if (wait < MONDAY_GUARD_MS) await new Promise((resolve) => setTimeout(resolve, wait + 1_000));
}

interface Run {
  startedAt: number;
  answers: AnyJson[];
}

/** Runs a block twice in one bash (a reader pasting it again), against the test gateway. */
function runTwice(text: string, gatewayUrl: string): Promise<Run[]> {
  const script = text.replaceAll("localhost:4000", new URL(gatewayUrl).host);
  // Node's stdio pipes are socket pairs, where the examples' `tee /dev/stderr` cannot open fd 2 (ENXIO);
  // a terminal or a real pipe can, so stderr goes through one.
  const both = `exec 2> >(cat >&2)\n${script}\necho '${SECOND_RUN}'; echo '${SECOND_RUN}' >&2; date +%s%3N\n${script}\n`;
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const child = spawn("bash", ["-c", both], { env: process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => {
      try {
        expect({ status, stderrTail: status === 0 ? "" : stderr.slice(-2000) }).toEqual({ status: 0, stderrTail: "" });
        const outs = stdout.split(SECOND_RUN + "\n");
        const errs = stderr.split(SECOND_RUN + "\n");
        expect([outs.length, errs.length]).toEqual([2, 2]);
        // The second run starts at the time printed after the marker.
        const secondStart = /^(\d+)\n/.exec(outs[1]);
        expect(secondStart).not.toBeNull();
        const runs = [0, 1].map((n) => {
          const out = parseOutput(n === 0 ? outs[0] : outs[1].slice(secondStart![0].length));
          const err = parseOutput(errs[n]);
          // Nothing but answers: no "jq: error", "parse error", curl failure or shell complaint.
          expect({ run: n + 1, stray: [...out.stray, ...err.stray] }).toEqual({ run: n + 1, stray: [] });
          const answers = [...out.answers, ...err.answers];
          return { startedAt: n === 0 ? startedAt : Number(secondStart![1]), answers };
        });
        resolve(runs);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

const find = (answers: AnyJson[], pick: (a: AnyJson) => unknown) => answers.map(pick).filter((x) => x != null) as AnyJson[];

describe("msToNextMondayUtc: the boundary the examples' `date -u -d 'next monday'` moves at", () => {
  it.each([
    ["2026-11-29T23:59:30Z", 30_000], // Sunday: tomorrow
    ["2026-11-30T00:00:00Z", 7 * 86_400_000], // Monday: a week ahead, as GNU date says
    ["2026-11-30T23:10:00Z", 6 * 86_400_000 + 50 * 60_000],
    ["2026-12-05T12:00:00Z", 86_400_000 + 12 * 3_600_000], // Saturday
  ])("at %s", (at, ms) => {
    expect(msToNextMondayUtc(new Date(at))).toBe(ms);
  });

  (missing.length ? it.skip : it)("agrees with GNU date now", () => {
    const now = new Date();
    const gnu = spawnSync("date", ["-u", "-d", "next monday", "+%F"], { encoding: "utf8" }).stdout.trim();
    expect(new Date(now.getTime() + msToNextMondayUtc(now)).toISOString().slice(0, 10)).toBe(gnu);
  });
});

(missing.length ? describe.skip : describe)("the README's examples, run twice each", () => {
  let databaseName: string;
  let gw: TestGateway;
  let lastDemoBooking: number;
  const runs = new Map<string, Run[]>();

  beforeAll(async () => {
    databaseName = await createTestDatabase();
    gw = await startTestGateway({ databaseName, env: { PUBLIC_BOOKING: "true" } });
    await loadDemoData(gw.dataSource);
    [{ max: lastDemoBooking }] = await gw.dataSource.query(`SELECT max(id)::int AS max FROM "Booking"`);
  });
  afterAll(async () => {
    await gw?.close();
    await dropTestDatabase(databaseName);
  });

  /** Both runs of a block: the same errors, in order, each one promised by the block's comments. */
  const run = async (name: string, text: string, promised: string[], errorsIn = errorsOf): Promise<Run[]> => {
    for (const error of promised) for (const word of error.split(" / ")) expect(comments(text)).toContain(word);
    expect({ fixedDates: text.match(/\d{4}-\d{2}-\d{2}/g) }).toEqual({ fixedDates: null }); // dates are computed
    await clearOfMondayBoundary();
    const both = await runTwice(text, gw.url);
    for (const [n, r] of both.entries()) {
      expect({ run: n + 1, errors: errorsIn(r.answers) }).toEqual({ run: n + 1, errors: promised });
    }
    expect(both[1].answers.length).toBe(both[0].answers.length);
    runs.set(name, both);
    return both;
  };

  it('"Example queries": upcoming means from now', async () => {
    const both = await run("queries", blockUnder("Example queries"), []);
    for (const r of both) {
      const upcoming = find(r.answers, (a) => (a.data?.bookings?.nodes?.[0]?.uid ? a.data.bookings.nodes : null));
      expect(upcoming).toHaveLength(1);
      expect(upcoming[0].length).toBeGreaterThan(0);
      expect(
        upcoming[0].filter(
          (b: { status: string; startTime: string }) => b.status !== "ACCEPTED" || Date.parse(b.startTime) < r.startedAt - 1000,
        ),
      ).toEqual([]);
    }
  });

  it('"Admin examples": a member\'s upcoming bookings, and FORBIDDEN for an invited member', async () => {
    const both = await run("admin", blockUnder("Admin examples (demo data)"), ["FORBIDDEN"]);
    for (const r of both) {
      const upcoming = find(r.answers, (a) => (a.data?.bookings?.nodes?.[0]?.user ? a.data.bookings.nodes : null));
      expect(upcoming).toHaveLength(1);
      expect(upcoming[0].length).toBeGreaterThan(0);
      expect(upcoming[0].filter((b: { startTime: string }) => Date.parse(b.startTime) < r.startedAt - 1000)).toEqual([]);
    }
  });

  it('"Availability": a listed slot books, then SLOT_TAKEN and NOT_AVAILABLE, and the booking is cancelled', async () => {
    const both = await run("availability", blockUnder("Availability"), ["CONFLICT / SLOT_TAKEN", "CONFLICT / NOT_AVAILABLE"]);
    for (const r of both) {
      expect(find(r.answers, (a) => a.data?.eventType?.owner?.timeZone)).toEqual(["Asia/Tokyo"]);
      expect(find(r.answers, (a) => a.data?.createBooking?.status)).toEqual(["ACCEPTED"]);
      expect(find(r.answers, (a) => a.data?.cancelBooking?.status)).toEqual(["CANCELLED"]);
    }
  });

  it('"Mutation examples": the promised answers on every run', async () => {
    const both = await run("mutations", blockUnder("Mutation examples (demo data)"), [
      "CONFLICT / SLOT_TAKEN",
      "CONFLICT / ALREADY_CANCELLED",
    ]);
    const firstIds = both.map((r) => {
      // The first booking and its repeat with the same client key: one booking.
      const keyed = find(r.answers, (a) => (a.data?.createBooking?.uid ? a.data.createBooking : null));
      expect(keyed).toHaveLength(2);
      expect(keyed[1]).toEqual(keyed[0]);
      expect(keyed[0].status).toBe("ACCEPTED");
      const [moved] = find(r.answers, (a) => a.data?.updateBooking);
      expect(moved).toMatchObject({ id: keyed[0].id, title: "Quarterly review", iCalSequence: 1 });
      expect(Date.parse(moved.startTime) - Date.parse(keyed[0].startTime)).toBe(3_600_000);
      const [rescheduled] = find(r.answers, (a) => a.data?.rescheduleBooking);
      expect(rescheduled).toMatchObject({
        fromReschedule: keyed[0].uid,
        iCalSequence: 2,
        status: "ACCEPTED",
        cancellationReason: "Travel",
      });
      expect(find(r.answers, (a) => a.data?.booking)).toEqual([
        { status: "CANCELLED", rescheduled: true, rescheduledBy: "bob@example.com" },
      ]);
      expect(find(r.answers, (a) => a.data?.createBooking?.status)).toEqual(["ACCEPTED", "ACCEPTED", "PENDING"]);
      expect(find(r.answers, (a) => a.data?.confirmBooking?.status)).toEqual(["ACCEPTED"]);
      expect(find(r.answers, (a) => a.data?.cancelBooking?.status)).toEqual(["CANCELLED", "CANCELLED"]);
      return keyed[0].id;
    });
    expect(firstIds[1]).not.toBe(firstIds[0]);
  });

  it("the public booking flow books and cancels with its token", async () => {
    const both = await run("public", blockUnder("Frontend apps", "manageToken"), ["FORBIDDEN"]);
    for (const r of both) {
      const [created] = find(r.answers, (a) => a.data?.createBooking);
      expect(created.status).toBe("ACCEPTED");
      expect(created.manageToken).toMatch(/^bk_/);
      expect(find(r.answers, (a) => a.data?.bookings?.nodes)[0]).toEqual([expect.objectContaining({ id: created.id })]);
      expect(find(r.answers, (a) => a.data?.cancelBooking)).toEqual([{ status: "CANCELLED", cancelledBy: "pat@example.org" }]);
    }
  });

  it('"REST API v1": lists, then books a free slot, reads, renames and cancels that booking', async () => {
    const both = await run("v1", blockUnder("REST API v1"), [], v1ErrorsOf);
    const created = both.map((r) => {
      const [list, member] = find(r.answers, (a) => a.bookings);
      expect(list).toHaveLength(5);
      expect(member.length).toBeGreaterThan(0);
      expect(
        member.filter((b: { userId: number; eventType?: object | null }) => b.userId !== 3 || !("team" in (b.eventType ?? {}))),
      ).toEqual([]);
      // POST answers the booking itself (not wrapped), in a free slot of event type 4 after next Monday.
      const [booking] = find(r.answers, (a) => (a.references ? a : null));
      expect(booking).toMatchObject({ eventTypeId: 4, userId: 3, status: "accepted", references: [] });
      expect(booking.id).toBeGreaterThan(lastDemoBooking);
      expect(Date.parse(booking.startTime)).toBeGreaterThan(r.startedAt);
      // GET and PATCH act on that booking, and so does the cancel.
      const [got, patched] = find(r.answers, (a) => a.booking);
      expect(got).toMatchObject({ id: booking.id, uid: booking.uid, title: booking.title, status: "accepted" });
      expect(patched).toMatchObject({ id: booking.id, title: "Renamed through v1", status: "accepted" });
      expect(find(r.answers, (a) => (a.success ? a : null))).toEqual([
        { success: true, message: "Booking successfully cancelled.", bookingId: booking.id, bookingUid: booking.uid },
      ]);
      return booking;
    });
    // A new booking each run, in the same slot (the first run's is cancelled).
    expect(created[1].id).not.toBe(created[0].id);
    expect(created[1].startTime).toBe(created[0].startTime);
  });

  it("leaves only cancelled bookings behind", async () => {
    expect([...runs.keys()]).toEqual(["queries", "admin", "availability", "mutations", "public", "v1"]);
    const rows: Array<{ status: string; n: number }> = await gw.dataSource.query(
      `SELECT status::text, count(*)::int AS n FROM "Booking" WHERE id > $1 GROUP BY 1`,
      [lastDemoBooking],
    );
    // Per run: availability 1, mutations 3 (booked, rescheduled to, needing confirmation), public 1, v1 1.
    expect(rows).toEqual([{ status: "cancelled", n: 2 * (1 + 3 + 1 + 1) }]);
  });
});
