import "reflect-metadata";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../src/db/embedded-postgres";
import { createLogger } from "../src/logger";
import { benchChartSvg } from "./chart";
import { runSubscriptionScenario, type SubscriptionResult } from "./subscriptions";
import {
  BENCH_KEYS,
  BENCH_USERS,
  datasetSize,
  generateDataset,
  OFFICE_HOURS_USERS,
  prepareAvailability,
  SLOT_EVENT_TYPES,
  trimToDataset,
  USERS,
} from "./dataset";
import { explainListStatements, type ExplainResult } from "./explain";
import { runMemoryScenario, type MemoryReport } from "./memory";
import { lastPageCursor } from "./keyset-cursor";
import { loadInProcess, runLoad, type LoadJob } from "./load";
import { percentile } from "./percentile";
import { NODE_FLAGS } from "../src/node-flags";

/**
 * `npm run bench`: generates data sets, starts the built gateway and the reference floor on them,
 * drives both over HTTP with autocannon, and writes bench/RESULTS.md.
 *
 * Options (environment): BENCH_SIZES (default "10000,100000,1000000"; the full scenario set runs on
 * BENCH_FULL_SIZE, default 100000, the growth scenarios on every size), BENCH_DURATION seconds per
 * measurement (default 10), BENCH_RATIO_ROUNDS (gateway/floor rounds of the paired scenarios,
 * default 3), BENCH_WARM_UP (seconds of discarded load on each target before those rounds, default
 * 8), BENCH_DATABASE_URL (a Postgres server to create the bench_<size> databases on; default: an
 * embedded server under .data/bench-postgres), BENCH_SCENARIOS (only the
 * scenarios whose names contain one of these comma-separated words, e.g. "a:,slots"; the memory and
 * EXPLAIN parts are skipped and the results go to bench/RESULTS-partial.md).
 */

const ROOT = path.join(__dirname, "..", "..");
const SIZES = (process.env.BENCH_SIZES ?? "10000,100000,1000000").split(",").map((s) => Number(s.trim()));
const FULL_SIZE = Number(process.env.BENCH_FULL_SIZE ?? 100_000);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const RATIO_ROUNDS = Math.max(1, Number(process.env.BENCH_RATIO_ROUNDS ?? 3));
/**
 * Seconds of discarded load on each target (gateway, floor, baseline) before a paired scenario's
 * rounds: a freshly started gateway was still compiling its hot paths (V8's optimizing compiler on
 * its helper threads: 0.6 s of CPU in the second 10 s of load, 0.1 s in the fourth, measured), which
 * counted against the first scenarios' CPU per request and none of the later ones'.
 */
const WARM_UP = Math.max(0, Number(process.env.BENCH_WARM_UP ?? 8));
/**
 * Database connections of the gateway (DB_POOL_SIZE) and of the floor alike. Default: twice this
 * machine's cores, the PostgreSQL wiki's starting point ("core count × 2 + spindles"), because the
 * bench's database runs on these same cores; a pool of 10 on 2 shared cores puts most of p99 in the
 * OS scheduler, for the floor as much as for the gateway (README, "Running N instances").
 */
const POOL_SIZE = Math.max(1, Number(process.env.BENCH_POOL_SIZE ?? 2 * os.availableParallelism()));
/** The memory-bounds scenario (bench/memory.ts) on the full-size data set: distinct operations, then distinct pages. */
const MEMORY_OPERATIONS = Number(process.env.BENCH_MEMORY_OPERATIONS ?? 50_000);
const MEMORY_PAGES = Number(process.env.BENCH_MEMORY_PAGES ?? 5_000);
/**
 * Fresh processes with tracing on (the production default) and with tracing off in the tracing
 * scenario (see there; the other sampling variants get one each). Default 4: with two of each, a
 * run told the cost to about ± 15 %, as much as the target.
 */
const TRACING_PROCESSES = Math.max(1, Number(process.env.BENCH_TRACING_PROCESSES ?? 4));
/**
 * Fresh processes with events on and with BOOKING_EVENTS=off in the cost-of-events scenario (each
 * measured twice, alternated).
 */
const EVENTS_PROCESSES = Math.max(1, Number(process.env.BENCH_EVENTS_PROCESSES ?? 3));
const SUBSCRIPTION_EVENTS = Number(process.env.BENCH_SUBSCRIPTION_EVENTS ?? 100);
const SUBSCRIPTION_IDLE = Number(process.env.BENCH_SUBSCRIPTION_IDLE ?? 1_000);
/** The cost of booking events on createBooking: mean bookings/s with events on against off, alternated in one run. */
function eventCostLines(results: Measurement[]): string[] {
  const on = results.filter((r) => r.scenario.startsWith("f: createBooking, events on"));
  const off = results.filter((r) => r.scenario.startsWith("f: createBooking, BOOKING_EVENTS=off"));
  if (!on.length || !off.length) return [];
  const mean = (rows: Measurement[]) => rows.reduce((a, r) => a + r.rps, 0) / rows.length;
  const ratio = mean(on) / mean(off);
  return [
    `## Cost of booking events on createBooking (c=10; on and off: ${EVENTS_PROCESSES} fresh processes of each, started together, warmed ${WARM_UP} s each, two alternated rounds each in this run)`,
    "",
    `Events on: ${on.map((r) => r.rps).join(", ")} bookings/s (mean ${Math.round(mean(on))}); BOOKING_EVENTS=off: ${off.map((r) => r.rps).join(", ")} (mean ${Math.round(mean(off))}). On / off = ${ratio.toFixed(2)} (${Math.round((1 - ratio) * 100)}% fewer bookings/s; target: at most 15%).`,
    "",
  ];
}

/**
 * The cost of tracing per scenario: mean requests/s with tracing on as the gateway runs in production
 * when no sampler is set (at most 10 new traces a second recorded, exported to a local OTLP receiver),
 * with a tenth of the traces, with every trace, with every trace and TRACE_SQL_COMMENTS=false, over
 * tracing off, alternated.
 */
function tracingCostLines(results: Measurement[], exported: { requests: number; bytes: number } | undefined): string[] {
  const names = [
    ...new Set(results.filter((r) => / tracing on \(/.test(r.scenario)).map((r) => r.scenario.replace(/, tracing on \(\d+\)$/, ""))),
  ];
  if (!names.length) return [];
  const mean = (rows: Measurement[]) => rows.reduce((a, r) => a + r.rps, 0) / rows.length;
  const lines = [
    `## Cost of tracing (c=10; on and off: ${TRACING_PROCESSES} fresh processes of each; a tenth, every trace, every trace without SQL comments: one each; all started together, warmed ${WARM_UP} s each, two alternated rounds each in this run)`,
    "",
    "On: as the gateway runs in production without `OTEL_TRACES_SAMPLER` (at most `TRACE_SAMPLES_PER_SECOND`, 10, new traces a second " +
      "recorded and exported to a local OTLP receiver; the others, sampled out at the door, not instrumented but still paying for the context " +
      "propagation). A tenth: `OTEL_TRACES_SAMPLER_ARG=0.1` (`parentbased_traceidratio`, the production default before the budget). " +
      "Every trace: `OTEL_TRACES_SAMPLER=parentbased_always_on` (the default outside production); " +
      "`TRACE_SQL_COMMENTS=false` leaves the statements uncommented (a commented one runs as `EXECUTE` of its prepared statement).",
    "",
  ];
  for (const name of names) {
    const on = results.filter((r) => r.scenario.startsWith(`${name}, tracing on (`));
    const tenth = results.filter((r) => r.scenario.startsWith(`${name}, tracing on, a tenth (`));
    const every = results.filter((r) => r.scenario.startsWith(`${name}, tracing on, every trace (`));
    const bare = results.filter((r) => r.scenario.startsWith(`${name}, tracing on, every trace, TRACE_SQL_COMMENTS=false (`));
    const off = results.filter((r) => r.scenario.startsWith(`${name}, tracing off (`));
    const cpu = (rows: Measurement[]) => rows.reduce((a, r) => a + (r.cpuMsPerRequest ?? 0), 0) / rows.length;
    const variant = (label: string, rows: Measurement[]) =>
      `${label} ${rows.map((r) => r.rps).join(", ")} req/s (mean ${Math.round(mean(rows))}, CPU ${cpu(rows).toFixed(2)} ms/req)`;
    const ratio = mean(on) / mean(off);
    lines.push(
      `- ${name}: ${variant("tracing on", on)}; ${variant("a tenth", tenth)}; ${variant("every trace", every)}; ` +
        `${variant("every trace without SQL comments", bare)}; ${variant("off", off)}. ` +
        `On / off = ${ratio.toFixed(2)} (target: at least 0.85: ${ratio >= 0.85 ? "yes" : "**no**"}; CPU a request on / off ${(cpu(on) / cpu(off)).toFixed(2)}); a tenth ${(mean(tenth) / mean(off)).toFixed(2)}, ` +
        `every trace ${(mean(every) / mean(off)).toFixed(2)}, without SQL comments ${(mean(bare) / mean(off)).toFixed(2)}.`,
    );
  }
  if (exported)
    lines.push(
      "",
      `The receiver got ${exported.requests} OTLP export requests (${Math.round(exported.bytes / 1024)} KiB) from the traced instances.`,
    );
  return [...lines, ""];
}

/** The tracing scenario's OTLP/HTTP receiver (bench/otlp-sink.ts), a process of its own. */
interface OtlpSink {
  url: string;
  stats(): Promise<{ requests: number; bytes: number }>;
  /** Resolves once no export has arrived for a second (at most 30 s): the last round's spans are in. */
  quiet(): Promise<void>;
  close(): Promise<void>;
}

async function startOtlpSink(): Promise<OtlpSink> {
  const sink = await startProcess(
    "the OTLP sink",
    [path.join(ROOT, "dist", "bench", "otlp-sink.js")],
    {},
    /otlp sink ready on port (\d+)/,
    10_000,
  );
  const url = `http://127.0.0.1:${sink.port}`;
  const stats = async () =>
    (await (await fetch(`${url}/stats`, { signal: AbortSignal.timeout(5_000) })).json()) as { requests: number; bytes: number };
  return {
    url,
    stats,
    async quiet() {
      const until = Date.now() + 30_000;
      let last = (await stats()).requests;
      while (Date.now() < until) {
        await new Promise((r) => setTimeout(r, 1_000));
        const now = (await stats()).requests;
        if (now === last) return;
        last = now;
      }
    },
    close: () => stopGateway(sink),
  };
}

/** The event type the subscription scenario's i-th booking uses (one whose organizer keeps no office hours). */
function subscriptionEventType(i: number): number {
  let eventTypeId = (i % 3_990) + 1;
  while (OFFICE_HOURS_USERS.includes(((eventTypeId - 1) % USERS) + 1)) eventTypeId += 1;
  return eventTypeId;
}

/**
 * A built checkout of an earlier version (its dist/), measured in the same rounds as the gateway
 * and the floor on the read path's scenarios: before / after figures from one run.
 */
const BASELINE_ROOT = process.env.BENCH_BASELINE_ROOT;
/** The organizer of scenario o (an ordinary user; each organizes about size / 2,000 bookings). */
const ORGANIZER = 700;

const ONLY = process.env.BENCH_SCENARIOS?.split(",")
  .map((s) => s.trim())
  .filter(Boolean);

const LIST_FIELDS = `id uid title status startTime endTime user { id name email } eventType { id title length } attendees { name email } payment { amount currency success }`;
const ALL_RELATIONS = `id uid title description status startTime endTime location responses metadata iCalUID iCalSequence
  user { id name email timeZone } eventType { id title slug length owner { id name } } attendees { id name email timeZone }
  payment { id amount currency success } references { id type meetingUrl } destinationCalendar { id integration }
  workflowReminders { id method scheduledDate } seatsReferences { id referenceUid } instantMeetingToken { id token }
  scheduledTriggers { id payload }`;

interface Measurement {
  scenario: string;
  target: "gateway" | "floor" | "baseline";
  /**
   * CPU time (user + system) of the answering process per request, ms. In a paired scenario's row:
   * over all its rounds (their CPU time over their requests), which at tens of requests/s is far
   * steadier than one round's.
   */
  cpuMsPerRequest: number | null;
  /** CPU time of the answering process during the measurement, ms, and the requests it answered. */
  cpuMs: number | null;
  requests: number;
  size: number;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  sqlPerRequest: number | null;
  maxRssMb: number | null;
  /** Every response's time, ms, sorted: only while a paired scenario pools its rounds' percentiles. */
  latencies?: Float64Array;
}

async function main(): Promise<void> {
  const logger = createLogger("warn");
  let embedded: EmbeddedPostgres | undefined;
  // An interrupted run must not leave its PostgreSQL behind.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void (embedded?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  let serverUrl = process.env.BENCH_DATABASE_URL;
  if (!serverUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: path.join(ROOT, ".data", "bench-postgres"), port: 0, logger, durable: false });
    serverUrl = embedded.url;
  }
  const results: Measurement[] = [];
  const ratioRounds: RatioRounds[] = [];
  const prepared: PreparedCount[] = [];
  const generation: Array<{ size: number; seconds: number | null }> = [];
  let explains: ExplainResult[] = [];
  let memory: MemoryReport | undefined;
  let subscriptions: SubscriptionResult | undefined;
  let tracingExport: { requests: number; bytes: number } | undefined;
  try {
    for (const size of [...new Set([...SIZES, FULL_SIZE])].sort((a, b) => a - b)) {
      const url = await ensureDatabase(serverUrl, `bench_${size}`);
      if ((await datasetSize(url)) !== size) {
        console.log(`generating ${size} bookings…`);
        const seconds = await generateDataset(url, size);
        generation.push({ size, seconds });
        console.log(`  done in ${seconds.toFixed(1)} s`);
      } else {
        const trimmed = await trimToDataset(url);
        if (trimmed) console.log(`  ${trimmed} bookings of earlier runs deleted`);
        generation.push({ size, seconds: null });
      }
      const full = size === FULL_SIZE;
      const gateway = await startGateway(url);
      // The floor runs next to the gateway (idle while not measured), so each ratio pairs measurements
      // taken minutes apart at most: these shared machines drift by tens of percent over a run.
      let floor: Running | undefined;
      let baseline: Running | undefined;
      try {
        floor = full ? await startFloorProcess(url, size) : undefined;
        baseline = full && BASELINE_ROOT ? await startGateway(url, {}, BASELINE_ROOT) : undefined;
        const scenarios = full ? await fullScenarios(url, size) : await growthScenarios(url, size);
        for (const s of scenarios) {
          if (ONLY && !ONLY.some((word) => s.name.includes(word))) continue;
          for (const connections of s.connections) {
            if (floor && s.floorPath) {
              results.push(...(await pairedRounds(s, gateway, floor, size, connections, ratioRounds, baseline)));
              continue;
            }
            console.log(`${size} ${s.name} gateway c=${connections}`);
            try {
              results.push(await measure(s, "gateway", gateway, size, connections));
            } catch (err) {
              console.error(`  failed: ${(err as Error).message.slice(0, 300)}`);
              results.push({
                scenario: `${s.name} (FAILED: ${(err as Error).message.slice(0, 120)})`,
                target: "gateway",
                size,
                connections,
                rps: 0,
                p50: 0,
                p99: 0,
                errors: 1,
                sqlPerRequest: null,
                maxRssMb: null,
                cpuMsPerRequest: null,
                cpuMs: null,
                requests: 0,
              });
            }
          }
        }
        // The cost of booking events: the same create scenario on fresh instances with events on and with
        // BOOKING_EVENTS=off, EVENTS_PROCESSES of each, started together and warmed alike (not the bench's
        // long-running gateway against a fresh one: that compared the processes' age as much as the setting).
        const create = scenarios.find((x) => x.name === "f: createBooking");
        if (full && create && (!ONLY || ONLY.some((word) => create.name.includes(word)))) {
          const instances = await startVariants(url, [
            { label: "events on", env: {}, copies: EVENTS_PROCESSES },
            { label: "BOOKING_EVENTS=off", env: { BOOKING_EVENTS: "off" }, copies: EVENTS_PROCESSES },
          ]);
          try {
            console.log(`${size} ${create.name}: BOOKING_EVENTS on and off, ${EVENTS_PROCESSES} processes each; alternated, c=10`);
            results.push(...(await alternatedRounds(create, instances, size, WARM_UP)));
          } finally {
            for (const v of instances) await stopGateway(v.running);
          }
        }
        // The cost of tracing: instances as production runs them when tracing is on (at most 10 new traces
        // a second recorded), recording a tenth, every trace, every trace with its statements left
        // uncommented (TRACE_SQL_COMMENTS=false), all exporting to a local OTLP receiver, and off (the SDK
        // not loaded): TRACING_PROCESSES fresh processes of on and of off, one of each other variant, started
        // together and warmed alike, each measured in alternated rounds, on page 1 and booking(id) with all
        // relations. Two fresh processes of one configuration have differed by almost 2 × in requests/s on
        // these machines (how V8 happened to optimize them), so one process per variant measured the
        // process as much as the variant, and comparing fresh ones with the bench's long-warmed gateway
        // measured their age.
        if (full && (!ONLY || ONLY.some((word) => "tracing".includes(word)))) {
          const sink = await startOtlpSink();
          // Batches every second rather than the SDK's 5 s, so an instance exports its spans during its own round.
          const exporting = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_BSP_SCHEDULE_DELAY: "1000" };
          const configurations = {
            on: { label: "tracing on", env: exporting },
            tenth: { label: "tracing on, a tenth", env: { ...exporting, OTEL_TRACES_SAMPLER_ARG: "0.1" } },
            every: { label: "tracing on, every trace", env: { ...exporting, OTEL_TRACES_SAMPLER: "parentbased_always_on" } },
            bare: {
              label: "tracing on, every trace, TRACE_SQL_COMMENTS=false",
              env: { ...exporting, OTEL_TRACES_SAMPLER: "parentbased_always_on", TRACE_SQL_COMMENTS: "false" },
            },
            off: { label: "tracing off", env: {} },
          };
          const many = (c: { label: string; env: Record<string, string> }) => ({
            ...c,
            copies: c === configurations.on || c === configurations.off ? TRACING_PROCESSES : 1,
          });
          const instances = await startVariants(url, Object.values(configurations).map(many));
          try {
            for (const s of scenarios.filter((x) => /^(a|e): /.test(x.name))) {
              console.log(
                `${size} ${s.name}: tracing on and off, ${TRACING_PROCESSES} processes each; a tenth, every trace, ` +
                  `every trace without SQL comments, one each; alternated, c=10`,
              );
              // Each round starts once the previous one's spans are exported (OTEL_BSP_SCHEDULE_DELAY below):
              // an instance still exporting would take CPU from the next one's round.
              results.push(...(await alternatedRounds(s, instances, size, WARM_UP, () => sink.quiet())));
            }
            tracingExport = await sink.stats();
          } finally {
            for (const v of instances) await stopGateway(v.running);
            await sink.close();
          }
        }
        // Booking events end to end: instance A commits, a subscriber on instance B receives.
        if (full && (!ONLY || ONLY.some((word) => "subscriptions".includes(word)))) {
          const second = await startGateway(url);
          try {
            console.log(`${size} subscriptions: commit on A → subscriber on B; ${SUBSCRIPTION_IDLE} idle subscriptions`);
            const base = Date.UTC(2040, 0, 1);
            subscriptions = await runSubscriptionScenario({
              portA: gateway.port,
              portB: second.port,
              pidB: second.child!.pid!,
              adminKey: BENCH_KEYS.systemAdmin,
              idleKey: BENCH_KEYS.regularUser,
              events: SUBSCRIPTION_EVENTS,
              idle: SUBSCRIPTION_IDLE,
              databaseUrl: url,
              webhookEventTypeIds: Array.from({ length: SUBSCRIPTION_EVENTS }, (_, i) => subscriptionEventType(i)),
              book: async (i) => {
                const eventTypeId = subscriptionEventType(i);
                const res = await fetch(`http://127.0.0.1:${gateway.port}/graphql`, {
                  method: "POST",
                  headers: { "content-type": "application/json", authorization: `Bearer ${BENCH_KEYS.systemAdmin}` },
                  body: gql(`mutation S($in: CreateBookingInput!) { createBooking(input: $in) { id } }`, {
                    in: {
                      eventTypeId,
                      start: new Date(base + (Date.now() % 1_000_000) * 60_000 + i * 30 * 60_000).toISOString(),
                      timeZone: "UTC",
                      responses: { name: "Sub", email: `sub${i}@bench.test` },
                    },
                  }),
                });
                const body = (await res.json()) as { data?: { createBooking: { id: number } }; errors?: unknown };
                if (!body.data) throw new Error(JSON.stringify(body.errors));
                return body.data.createBooking.id;
              },
            });
          } catch (err) {
            console.error("subscription scenario failed:", (err as Error).message);
          } finally {
            await stopGateway(second);
          }
        }
        if (full && !ONLY) {
          explains = await explainListStatements(url).catch((err: Error) => {
            console.error("EXPLAIN failed:", err.message);
            return [];
          });
          const overlaps = await createOverlaps(url);
          results.push({
            scenario: "f: overlapping ACCEPTED/PENDING pairs after the create run (SQL)",
            target: "gateway",
            size,
            connections: 10,
            rps: overlaps,
            p50: 0,
            p99: 0,
            errors: 0,
            sqlPerRequest: null,
            maxRssMb: null,
            cpuMsPerRequest: null,
            cpuMs: null,
            requests: 0,
          });
          // Memory bounds on a gateway of its own (a fresh process, nothing cached yet).
          const fresh = await startGateway(url);
          try {
            console.log(`${size} memory: ${MEMORY_OPERATIONS} distinct operations, ${MEMORY_PAGES} distinct pages`);
            memory = await runMemoryScenario({
              url: `http://127.0.0.1:${fresh.port}`,
              pid: fresh.child!.pid!,
              key: BENCH_KEYS.systemAdmin,
              bookingIds: Array.from({ length: 1_000 }, (_, i) => 1 + Math.floor((i * size) / 1_000)),
              operations: MEMORY_OPERATIONS,
              pages: MEMORY_PAGES,
              adminUrl: url,
              databaseName: new URL(url).pathname.slice(1),
            });
          } catch (err) {
            console.error("memory scenario failed:", (err as Error).message);
          } finally {
            await stopGateway(fresh);
          }
        }
        if (full && (!ONLY || ONLY.some((word) => "prepared".includes(word) || "a:".includes(word)))) {
          prepared.push(await preparedAfterPages("gateway's indexes", "gateway", gateway, size));
          if (baseline) prepared.push(await preparedAfterPages("gateway's indexes", "baseline", baseline, size));
        }
      } finally {
        if (floor) await stopGateway(floor);
        if (baseline) await stopGateway(baseline);
        await stopGateway(gateway);
      }
      // The attach case: the same data with only Cal.com's own indexes, the gateway with DB_MIGRATIONS=off.
      if (size === FULL_SIZE && (!ONLY || ONLY.some((word) => "attach:".includes(word)))) {
        const attachUrl = await calcomOnlyCopy(serverUrl, `bench_${size}`);
        const env = { DB_MIGRATIONS: "off" };
        const attached = await startGateway(attachUrl, env);
        const floor = await startFloorProcess(attachUrl, size);
        const before = BASELINE_ROOT ? await startGateway(attachUrl, env, BASELINE_ROOT) : undefined;
        try {
          for (const s of readPathScenarios(size, "attach: ")) {
            for (const connections of s.connections)
              results.push(...(await pairedRounds(s, attached, floor, size, connections, ratioRounds, before)));
          }
          prepared.push(await preparedAfterPages("Cal.com's indexes only", "gateway", attached, size));
          if (before) prepared.push(await preparedAfterPages("Cal.com's indexes only", "baseline", before, size));
        } finally {
          await stopGateway(floor);
          if (before) await stopGateway(before);
          await stopGateway(attached);
        }
      }
    }
  } finally {
    await embedded?.stop();
  }
  writeResults(results, generation, explains, ratioRounds, memory, subscriptions, prepared, tracingExport);
  // The picture beside the results (bench/chart.ts); a failure to draw it loses no numbers.
  const svg = path.join(ROOT, "bench", ONLY ? "RESULTS-partial.svg" : "RESULTS.svg");
  await benchChartSvg(results, FULL_SIZE).then(
    (text) => writeFileSync(svg, text),
    (err: Error) => console.error("chart not drawn:", err.message),
  );
}

/** Per-round ratios of a paired scenario, for the results file. */
interface RatioRounds {
  scenario: string;
  size: number;
  connections: number;
  ratios: number[];
  /** The baseline gateway's ratios in the same rounds (BENCH_BASELINE_ROOT). */
  baselineRatios: number[];
}

/**
 * A scenario the floor also answers: RATIO_ROUNDS rounds of gateway-then-floor; each target's row
 * is its median round (by requests/s) with CPU per request, p50 and p99 over all its rounds, and
 * every round's ratio is kept.
 */
async function pairedRounds(
  s: Scenario,
  gateway: Running,
  floor: Running,
  size: number,
  connections: number,
  rounds: RatioRounds[],
  baseline?: Running,
): Promise<Measurement[]> {
  const gatewayRuns: Measurement[] = [];
  const floorRuns: Measurement[] = [];
  const baselineRuns: Measurement[] = [];
  const floorScenario: Scenario = { name: s.name, body: "{}", path: s.floorPath, connections: [connections] };
  if (WARM_UP > 0) {
    await measure({ ...s, name: "warm-up" }, "gateway", gateway, size, connections, WARM_UP);
    await measure({ ...floorScenario, name: "warm-up" }, "floor", floor, size, connections, WARM_UP);
    if (baseline) await measure({ ...s, name: "warm-up" }, "baseline", baseline, size, connections, WARM_UP);
  }
  for (let round = 1; round <= RATIO_ROUNDS; round += 1) {
    console.log(`${size} ${s.name} gateway/floor${baseline ? "/baseline" : ""} c=${connections} round ${round}/${RATIO_ROUNDS}`);
    gatewayRuns.push(await measure(s, "gateway", gateway, size, connections, DURATION, true));
    floorRuns.push(await measure(floorScenario, "floor", floor, size, connections, DURATION, true));
    if (baseline) baselineRuns.push(await measure(s, "baseline", baseline, size, connections, DURATION, true));
  }
  rounds.push({
    scenario: s.name,
    size,
    connections,
    ratios: gatewayRuns.map((g, i) => g.rps / floorRuns[i].rps),
    baselineRatios: baselineRuns.map((b, i) => b.rps / floorRuns[i].rps),
  });
  // The median round (by requests/s), with CPU per request and the percentiles over all rounds: one
  // 10 s round's p99 moves by a third between rounds on two shared cores.
  const median = (runs: Measurement[]): Measurement => {
    const row = [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)];
    const cpu = runs.every((r) => r.cpuMs !== null) ? runs.reduce((n, r) => n + r.cpuMs!, 0) : null;
    const all = Float64Array.from(runs.flatMap((r) => Array.from(r.latencies ?? []))).sort();
    return {
      ...row,
      ...(all.length ? { p50: percentile(all, 0.5), p99: percentile(all, 0.99) } : {}),
      latencies: undefined, // pooled above; not kept for the rest of the run
      ...cpuOf(
        cpu,
        runs.reduce((n, r) => n + r.requests, 0),
      ),
    };
  };
  return [median(gatewayRuns), median(floorRuns), ...(baseline ? [median(baselineRuns)] : [])];
}

/** The read path's target scenarios (issue 17), each paired with a floor route. */
function readPathScenarios(size: number, prefix = ""): Scenario[] {
  const lastPage = Math.ceil(size / 50);
  return [
    {
      name: `${prefix}a: page 1 of 50, all bookings`,
      key: BENCH_KEYS.systemAdmin,
      body: gql(`query A { bookings(take: 50, page: 1) { nodes { ${LIST_FIELDS} } } }`),
      floorPath: "/all",
      connections: [10],
    },
    {
      name: `${prefix}o: one organizer's page of 50, system admin, userIds`,
      key: BENCH_KEYS.systemAdmin,
      body: gql(`query O { bookings(take: 50, page: 1, filter: { userIds: [${ORGANIZER}] }) { nodes { ${LIST_FIELDS} } } }`),
      floorPath: "/organizer",
      connections: [10],
    },
    {
      name: `${prefix}b: offset page ${lastPage} (last) of 50`,
      key: BENCH_KEYS.systemAdmin,
      body: gql(`query B { bookings(take: 50, page: ${lastPage}) { nodes { ${LIST_FIELDS} } } }`),
      floorPath: "/last",
      connections: [10],
    },
  ];
}

interface PreparedCount {
  database: string;
  target: "gateway" | "baseline";
  pages: number;
  maxPerConnection: number | null;
}

/**
 * 2,000 distinct offset pages (8 at a time), then the most prepared statements one connection of
 * the gateway holds (gateway_db_prepared_statements_max; the baseline, without the gauge, by the
 * backends' own count is not readable from outside: null).
 */
async function preparedAfterPages(database: string, target: "gateway" | "baseline", g: Running, size: number): Promise<PreparedCount> {
  const pages = Math.min(2_000, Math.ceil(size / 50));
  let next = 1;
  const worker = async () => {
    while (next <= pages) {
      const page = next++;
      await fetch(`http://127.0.0.1:${g.port}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${BENCH_KEYS.systemAdmin}` },
        body: gql(`query P($p: Int) { bookings(take: 50, page: $p) { nodes { id uid startTime } } }`, { p: page }),
      }).then((r) => r.text());
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const text = await (await fetch(`http://127.0.0.1:${g.port}/metrics`)).text();
  const value = /^gateway_db_prepared_statements_max (\S+)$/m.exec(text)?.[1];
  return { database, target, pages, maxPerConnection: value === undefined ? null : Number(value) };
}

/**
 * A copy of database `name` with only Cal.com's own indexes (the gateway's two lookup indexes
 * dropped), as an existing Cal.com database would be; made once and reused, and taken back to the
 * generated data set each time (see trimToDataset).
 */
async function calcomOnlyCopy(serverUrl: string, name: string): Promise<string> {
  const copy = `${name}_calcom`;
  const c = new Client({ connectionString: serverUrl });
  await c.connect();
  try {
    const exists = await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [copy]);
    if (exists.rowCount === 0) {
      for (let attempt = 1; ; attempt += 1) {
        try {
          await c.query(`CREATE DATABASE "${copy}" TEMPLATE "${name}"`);
          break;
        } catch (err) {
          // "source database is being accessed by other users" right after the gateway stopped.
          if (attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }
  } finally {
    await c.end();
  }
  const url = new URL(serverUrl);
  url.pathname = "/" + copy;
  const d = new Client({ connectionString: url.toString() });
  await d.connect();
  try {
    await d.query(`DROP INDEX IF EXISTS "Booking_startTime_id_idx"`);
    await d.query(`DROP INDEX IF EXISTS "Attendee_lower_email_idx"`);
    await d.query(`ANALYZE`);
  } finally {
    await d.end();
  }
  // The copy was made from the run's data set before, or now after its scenarios created bookings.
  await trimToDataset(url.toString());
  return url.toString();
}

interface Scenario {
  name: string;
  /** GET sends no body (REST routes); default POST. */
  method?: "GET" | "POST";
  body: string | (() => string);
  key?: string;
  path?: string;
  /** The floor's route answering the same query: measured in paired rounds with the gateway. */
  floorPath?: string;
  connections: number[];
}

const gql = (query: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query, variables });

async function fullScenarios(url: string, size: number): Promise<Scenario[]> {
  const lastPage = Math.ceil(size / 50);
  const midId = Math.floor(size / 2);
  let created = 0;
  // Future slots after every booking already there (the data set may be reused by a later run).
  const c = new Client({ connectionString: url });
  await c.connect();
  const { rows } = await c.query<{ last: Date | null }>(`SELECT max("endTime") AS last FROM "Booking"`);
  await c.end();
  const base = Math.max(Date.UTC(2031, 0, 1), new Date(rows[0].last ?? 0).getTime() + 86_400_000);
  return [
    {
      name: "a: page 1 of 50, all bookings",
      key: BENCH_KEYS.systemAdmin,
      body: gql(`query A { bookings(take: 50, page: 1) { nodes { ${LIST_FIELDS} } } }`),
      floorPath: "/all",
      connections: [1, 10],
    },
    // The same page through Cal.com's v1 route (its own, wider booking shape), beside GraphQL's.
    {
      name: "v1: GET /v1/bookings?take=50&page=1, all bookings",
      method: "GET",
      key: BENCH_KEYS.systemAdmin,
      path: "/v1/bookings?take=50&page=1",
      body: "",
      connections: [10],
    },
    {
      name: `b: offset page ${lastPage} (last) of 50`,
      key: BENCH_KEYS.systemAdmin,
      body: gql(`query B { bookings(take: 50, page: ${lastPage}) { nodes { ${LIST_FIELDS} } } }`),
      floorPath: "/last",
      connections: [10],
    },
    readPathScenarios(size)[1],
    {
      name: "c: regular user's page 1 of 50",
      key: BENCH_KEYS.regularUser,
      body: gql(`query C { bookings(take: 50) { nodes { ${LIST_FIELDS} } } }`),
      floorPath: "/user",
      connections: [1, 10],
    },
    {
      name: "d: org admin's page 1 of 50",
      key: BENCH_KEYS.orgAdmin,
      body: gql(`query D { bookings(take: 50) { nodes { ${LIST_FIELDS} } } }`),
      connections: [1, 10],
    },
    {
      name: "d': org admin's page 1 of 50 with totalCount",
      key: BENCH_KEYS.orgAdmin,
      body: gql(`query D2 { bookings(take: 50) { totalCount nodes { ${LIST_FIELDS} } } }`),
      connections: [10],
    },
    {
      name: "e: booking(id) with all relations",
      key: BENCH_KEYS.systemAdmin,
      body: gql(`query E($id: Int) { booking(id: $id) { ${ALL_RELATIONS} } }`, { id: midId }),
      connections: [1, 10],
    },
    {
      name: "f: createBooking",
      key: BENCH_KEYS.systemAdmin,
      // Each request books another event type (organizer) at a distinct future slot: no conflicts expected.
      body: () => {
        created += 1;
        const start = new Date(base + created * 30 * 60_000).toISOString();
        // Event types whose owners keep office hours are left out (their hours would refuse most starts).
        let eventTypeId = (created % 3_990) + 1;
        while (OFFICE_HOURS_USERS.includes(((eventTypeId - 1) % USERS) + 1)) eventTypeId += 1;
        return gql(`mutation F($in: CreateBookingInput!) { createBooking(input: $in) { id } }`, {
          in: {
            eventTypeId,
            start,
            timeZone: "UTC",
            title: "bench-create",
            responses: { name: "Bench", email: `bench${created}@bench.test` },
          },
        });
      },
      connections: [10],
    },
    ...(await keysetScenarios(url, size)),
    ...(await slotScenarios(url)),
  ];
}

/** `slots` for 31 days of a personal event type and of a 10-host round-robin one with busy hosts. */
async function slotScenarios(url: string): Promise<Scenario[]> {
  await prepareAvailability(url);
  const q = `query S($et: Int!, $from: DateTime!, $to: DateTime!) { slots(eventTypeId: $et, from: $from, to: $to, timeZone: "Europe/Berlin") { date slots { start end } } }`;
  const from = new Date(Math.ceil(Date.now() / 86_400_000) * 86_400_000);
  const vars = (et: number) => ({ et, from: from.toISOString(), to: new Date(from.getTime() + 31 * 86_400_000).toISOString() });
  return [
    {
      name: "slots: 31 days, personal event type",
      key: BENCH_KEYS.regularUser,
      body: gql(q, vars(SLOT_EVENT_TYPES.personal)),
      connections: [1, 10],
    },
    {
      name: "slots: 31 days, 10-host round robin, busy hosts",
      key: BENCH_KEYS.regularUser,
      body: gql(q, vars(SLOT_EVENT_TYPES.roundRobin)),
      connections: [1, 10],
    },
  ];
}

async function growthScenarios(url: string, size: number): Promise<Scenario[]> {
  const lastPage = Math.ceil(size / 50);
  return [
    {
      name: "a: page 1 of 50, all bookings",
      key: BENCH_KEYS.systemAdmin,
      body: gql(`query A { bookings(take: 50, page: 1) { nodes { ${LIST_FIELDS} } } }`),
      connections: [10],
    },
    {
      name: `b: offset page ${lastPage} (last) of 50`,
      key: BENCH_KEYS.systemAdmin,
      body: gql(`query B { bookings(take: 50, page: ${lastPage}) { nodes { ${LIST_FIELDS} } } }`),
      connections: [10],
    },
    ...(await keysetScenarios(url, size)),
  ].map((s) => ({ ...s, connections: [10] }));
}

/** Keyset first and last page (bookingsConnection). */
async function keysetScenarios(url: string, size: number): Promise<Scenario[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  const { rows } = await c.query<{ id: number; startTime: Date }>(
    `SELECT id, "startTime" FROM "Booking" ORDER BY "startTime", id OFFSET $1 LIMIT 1`,
    [size - 51],
  );
  await c.end();
  const after = lastPageCursor({ id: rows[0].id, value: rows[0].startTime });
  const q = `query K($after: String) { bookingsConnection(first: 50, after: $after) { edges { node { ${LIST_FIELDS} } } pageInfo { hasNextPage endCursor } } }`;
  return [
    { name: "keyset: first page of 50", key: BENCH_KEYS.systemAdmin, body: gql(q), connections: [1, 10] },
    { name: "keyset: last page of 50", key: BENCH_KEYS.systemAdmin, body: gql(q, { after }), connections: [1, 10] },
  ];
}

interface Running {
  port: number;
  child: ChildProcess | undefined;
}

/** A gateway started for one variant of a comparison (the variant's label names its rounds). */
interface VariantInstance {
  label: string;
  running: Running;
}

/**
 * Fresh gateways for a comparison: `copies` processes of each variant, started one after another in
 * turns (one of each variant, then the next of each), so no variant is the older. Two fresh processes
 * of one configuration have differed by almost 2 × in requests/s on these machines.
 */
async function startVariants(
  url: string,
  variants: { label: string; env: Record<string, string>; copies: number }[],
): Promise<VariantInstance[]> {
  const instances: VariantInstance[] = [];
  try {
    for (let copy = 0; copy < Math.max(...variants.map((v) => v.copies)); copy += 1)
      for (const v of variants) if (copy < v.copies) instances.push({ label: v.label, running: await startGateway(url, v.env) });
  } catch (err) {
    for (const i of instances) await stopGateway(i.running);
    throw err;
  }
  return instances;
}

/**
 * `s` on every instance: each warmed for `warmSeconds`, then measured twice at c=10, the second pass
 * in reverse order (ABCD…DCBA), so a drift of the machine during the scenario falls on every variant
 * alike. Rows are named "<scenario>, <label> (<round>)"; `beforeRound` runs before each measured round.
 */
async function alternatedRounds(
  s: Scenario,
  instances: VariantInstance[],
  size: number,
  warmSeconds: number,
  beforeRound?: () => Promise<void>,
): Promise<Measurement[]> {
  for (const v of instances) await measure({ ...s, name: "warm-up" }, "gateway", v.running, size, 10, warmSeconds);
  const rows: Measurement[] = [];
  for (const [round, v] of [...instances, ...[...instances].reverse()].entries()) {
    await beforeRound?.();
    rows.push(await measure({ ...s, name: `${s.name}, ${v.label} (${round + 1})` }, "gateway", v.running, size, 10));
  }
  return rows;
}

async function startGateway(url: string, env: Record<string, string> = {}, root = ROOT): Promise<Running> {
  // Started the way the README tells process managers to start it.
  return startProcess(
    "gateway",
    [...NODE_FLAGS, path.join(root, "dist", "src", "main.js")],
    // The webhook receiver of the subscription scenario listens on this machine: allow loopback subscribers.
    {
      DATABASE_URL: url,
      PORT: "0",
      LOG_LEVEL: "warn",
      NODE_ENV: "production",
      RATE_LIMIT_PER_MINUTE: "0",
      WEBHOOK_BLOCK_PRIVATE_ADDRESSES: "false",
      DB_POOL_SIZE: String(POOL_SIZE),
      ...env,
    },
    /ready at http:\/\/localhost:(\d+)\/graphql/,
    60_000,
  );
}

/**
 * A Node process of the bench (`args` after the node binary, `env` over this one's), once its
 * standard output has printed `ready` with the port as its first group; killed if it exits or does
 * not print it within `timeoutMs`.
 */
async function startProcess(what: string, args: string[], env: Record<string, string>, ready: RegExp, timeoutMs: number): Promise<Running> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = ready.exec(out);
    if (m) return { port: Number(m[1]), child };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${what} did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The reference floor (bench/floor.ts) as a process of its own, like the gateway. */
async function startFloorProcess(url: string, size: number): Promise<Running> {
  return startProcess(
    "floor",
    [path.join(ROOT, "dist", "bench", "floor.js")],
    {
      FLOOR_DATABASE_URL: url,
      FLOOR_USER_ID: String(BENCH_USERS.regularUser),
      FLOOR_USER_EMAIL: `user${BENCH_USERS.regularUser}@bench.test`,
      FLOOR_ORGANIZER_ID: String(ORGANIZER),
      FLOOR_LAST_OFFSET: String((Math.ceil(size / 50) - 1) * 50),
      FLOOR_POOL_SIZE: String(POOL_SIZE),
    },
    /floor ready on port (\d+)/,
    30_000,
  );
}

async function stopGateway(g: Running): Promise<void> {
  if (!g.child || g.child.exitCode !== null) return;
  await new Promise((resolve) => {
    g.child!.once("exit", resolve);
    g.child!.kill("SIGTERM");
  });
}

/** Sum and count of the gateway's SQL-statements-per-request histogram (production mode has no header). */
async function sqlMetric(port: number): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
  return { sum: read("gateway_graphql_request_sql_statements_sum"), count: read("gateway_graphql_request_sql_statements_count") };
}

function rssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
    return kb / 1024;
  } catch {
    return null;
  }
}

/** User + system CPU time of a process so far, ms (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMs(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

async function measure(
  s: Scenario,
  target: Measurement["target"],
  g: Running,
  size: number,
  connections: number,
  seconds = DURATION,
  /** Keep every response's time in the answer (paired rounds pool them); otherwise dropped. */
  keepLatencies = false,
): Promise<Measurement> {
  const urlPath = s.path ?? "/graphql";
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (s.key) headers.authorization = `Bearer ${s.key}`;
  const body = () => (typeof s.body === "function" ? s.body() : s.body);

  // One checked request first: it must succeed; the gateway's /metrics tells its SQL statement count
  // (after a pause, so requests of the previous measurement still finishing do not count). A request
  // before it puts the API key in the gateway's cache as the measured requests find it: after the
  // floor's round the key's record is older than its lifetime, and the checked request counted the
  // key's lookup (SQL/req 2 where every measured request made 1).
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const method = s.method ?? "POST";
  const send = () => fetch(`http://127.0.0.1:${g.port}${urlPath}`, { method, headers, body: method === "GET" ? undefined : body() });
  if (target !== "floor") await (await send()).arrayBuffer();
  const before = target !== "floor" ? await sqlMetric(g.port) : undefined;
  const probe = await send();
  const probeBody = (await probe.json()) as { errors?: unknown[] };
  if (probe.status !== 200 || probeBody.errors)
    throw new Error(`${s.name}: probe failed: ${probe.status} ${JSON.stringify(probeBody).slice(0, 500)}`);
  const after = target !== "floor" ? await sqlMetric(g.port) : undefined;
  const sql = before && after && after.count > before.count ? String((after.sum - before.sum) / (after.count - before.count)) : null;

  let maxRss = rssMb(g.child?.pid) ?? 0;
  const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssMb(g.child?.pid) ?? 0)), 200);
  const cpuBefore = cpuMs(g.child?.pid);
  const job: LoadJob = {
    url: `http://127.0.0.1:${g.port}${urlPath}`,
    method,
    headers,
    connections,
    seconds,
    body: typeof s.body === "string" ? s.body : undefined,
  };
  // A process of its own (bench/load.ts), unless every request's body is made here.
  const result = typeof s.body === "function" ? await runLoad(job, s.body) : await loadInProcess(job);
  clearInterval(sampler);
  const sorted = Float64Array.from(result.latencies).sort();
  const cpuAfter = cpuMs(g.child?.pid);
  return {
    scenario: s.name,
    target,
    ...cpuOf(cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null, result.total),
    size,
    connections,
    rps: result.rps,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    latencies: keepLatencies ? sorted : undefined,
    errors: result.errors,
    sqlPerRequest: sql === null ? null : Number(sql),
    maxRssMb: g.child ? Math.round(maxRss) : null,
  };
}

/** A measurement's CPU fields from the process's CPU time (ms, null when unknown) over `requests`. */
function cpuOf(cpuMs: number | null, requests: number): Pick<Measurement, "cpuMs" | "requests" | "cpuMsPerRequest"> {
  return { cpuMs, requests, cpuMsPerRequest: cpuMs !== null && requests > 0 ? cpuMs / requests : null };
}

/** Organizer pairs whose ACCEPTED/PENDING bookings overlap (must be 0 after the create run). */
async function createOverlaps(url: string): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "Booking" a JOIN "Booking" b ON a."userId" = b."userId" AND a.id < b.id
       WHERE a.title = 'bench-create' AND a.status IN ('accepted', 'pending') AND b.status IN ('accepted', 'pending')
         AND a."startTime" < b."endTime" AND b."startTime" < a."endTime"`,
    );
    return rows[0].n;
  } finally {
    await c.end();
  }
}

async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  const c = new Client({ connectionString: serverUrl });
  await c.connect();
  try {
    const exists = await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name]);
    if (exists.rowCount === 0) await c.query(`CREATE DATABASE "${name}"`);
  } finally {
    await c.end();
  }
  const url = new URL(serverUrl);
  url.pathname = "/" + name;
  return url.toString();
}

/**
 * The read path's targets (issue 17) on both databases: page 1, one organizer's page and the last
 * offset page at ≥ 0.8 × the floor, CPU per request ≤ 2 × the floor's, p99 ≤ 3 × p50, RSS under
 * 200 MB, at most 50 prepared statements per connection after 2,000 distinct pages.
 */
function readPathTargetLines(results: Measurement[], prepared: PreparedCount[]): string[] {
  const rows: string[] = [];
  // At 10 connections, as the targets were set.
  for (const g of results.filter((r) => r.target !== "floor" && r.connections === 10 && /^(attach: )?[aob]: /.test(r.scenario))) {
    const floor = results.find(
      (r) => r.target === "floor" && r.scenario === g.scenario && r.size === g.size && r.connections === g.connections,
    );
    if (!floor) continue;
    const ratio = g.rps / floor.rps;
    const cpu = g.cpuMsPerRequest !== null && floor.cpuMsPerRequest ? g.cpuMsPerRequest / floor.cpuMsPerRequest : null;
    const tail = g.p50 > 0 ? g.p99 / g.p50 : null;
    // The floor's own tail on the same machine and load, beside it: what the machine allows.
    const floorTail = floor.p50 > 0 ? (floor.p99 / floor.p50).toFixed(2) : "";
    const ok = (pass: boolean) => (pass ? "yes" : "**no**");
    rows.push(
      `| ${g.scenario.startsWith("attach: ") ? "Cal.com's only, DB_MIGRATIONS=off" : "gateway's"} | ${g.scenario.replace(/^attach: /, "")} | ${g.target} | ${ratio.toFixed(2)} ${ok(ratio >= 0.8)} | ${cpu === null ? "" : `${cpu.toFixed(2)} ${ok(cpu <= 2)}`} | ${tail === null ? "" : `${tail.toFixed(2)} ${ok(tail <= 3)}`} | ${floorTail} | ${g.p99.toFixed(1)} / ${floor.p99.toFixed(1)} | ${g.maxRssMb ?? ""} ${g.maxRssMb === null ? "" : ok(g.maxRssMb < 200)} |`,
    );
  }
  if (!rows.length && !prepared.length) return [];
  return [
    "## Read path targets (one run; the rows above are the median rounds)",
    "",
    "| indexes | scenario | target | × floor (≥ 0.8) | CPU/req ÷ floor's (≤ 2) | p99 ÷ p50 (≤ 3) | the floor's p99 ÷ p50 | p99 ms, target / floor | max RSS MB (< 200) |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    ...prepared.map(
      (p) =>
        `- ${p.database}, ${p.target}: after ${p.pages.toLocaleString("en")} distinct offset pages, at most ${p.maxPerConnection ?? "(not reported)"} prepared statements on one connection (target ≤ 50).`,
    ),
    "",
  ];
}

function writeResults(
  results: Measurement[],
  generation: Array<{ size: number; seconds: number | null }>,
  explains: ExplainResult[],
  ratioRounds: RatioRounds[],
  memory?: MemoryReport,
  subscriptions?: SubscriptionResult,
  prepared: PreparedCount[] = [],
  tracingExport?: { requests: number; bytes: number },
): void {
  const fmt = (n: number, digits = 0) => n.toFixed(digits);
  const floorOf = (scenario: string, size: number, connections: number) =>
    results.find((r) => r.target === "floor" && r.scenario === scenario && r.size === size && r.connections === connections);
  const lines = [
    "# Benchmark results",
    "",
    `Written by \`npm run bench\` on ${new Date().toISOString()}.`,
    "",
    `![Throughput per scenario, gateway beside the floor; latency against data size](${ONLY ? "RESULTS-partial.svg" : "RESULTS.svg"})`,
    "",
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB memory, ${os.platform()} ${os.release()}, Node ${process.version}. ` +
      `Gateway, floor, PostgreSQL and the load generator share these cores. Duration ${DURATION} s per row. ` +
      `Database pool: ${POOL_SIZE} connections for the gateway (DB_POOL_SIZE) and ${POOL_SIZE} for the floor (BENCH_POOL_SIZE; default twice the cores, as the database runs on them).`,
    "",
    "Data sets (bookings; 2,000 users, one organization of 200 members, 4,000 event types, 3 attendees per booking, a payment per third and a reference per second booking):",
    "",
    ...generation.map(
      (g) => `- ${g.size.toLocaleString("en")} bookings${g.seconds === null ? " (reused)" : `: generated in ${fmt(g.seconds, 1)} s`}`,
    ),
    "",
    "| data | scenario | target | conns | req/s | p50 ms | p99 ms | errors | SQL/req | × floor | CPU ms/req | max RSS MB |",
    "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...results.map((r) => {
      const floor = r.target !== "floor" ? floorOf(r.scenario, r.size, r.connections) : undefined;
      return `| ${r.size.toLocaleString("en")} | ${r.scenario} | ${r.target} | ${r.connections} | ${fmt(r.rps)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${r.errors} | ${r.sqlPerRequest ?? ""} | ${floor ? fmt(r.rps / floor.rps, 2) : ""} | ${r.cpuMsPerRequest === null ? "" : fmt(r.cpuMsPerRequest, 2)} | ${r.maxRssMb ?? ""} |`;
    }),
    "",
    "`× floor`: the gateway's requests/s over the floor's for the same query (the floor, a Node process of its own like the gateway, answers with one hand-written SQL statement that builds the JSON in Postgres).",
    "`p50` and `p99`: of every response's time as the load generator saw it (nearest rank), printed to a tenth of a millisecond; the targets below are judged on the unrounded values.",
    `Scenarios the floor also answers ran as ${RATIO_ROUNDS} rounds of gateway then floor; their rows are each target's median round (by requests/s), except CPU ms/req (CPU time over requests) and p50 / p99 (of every response), which are over all rounds. The ratio of every round:`,
    "",
    ...ratioRounds.map(
      (r) =>
        `- ${r.size.toLocaleString("en")}, ${r.scenario}, ${r.connections} connection${r.connections === 1 ? "" : "s"}: ${r.ratios.map((x) => fmt(x, 2)).join(", ")}${r.baselineRatios.length ? ` (baseline: ${r.baselineRatios.map((x) => fmt(x, 2)).join(", ")})` : ""}`,
    ),
    "",
    ...readPathTargetLines(results, prepared),
    'For the f row labelled "overlapping … pairs", the req/s column holds the number of overlapping pairs found by SQL after the create run.',
    "",
    ...(memory
      ? [
          "## Memory bounds (bench/memory.ts, a fresh gateway process)",
          "",
          `${MEMORY_OPERATIONS.toLocaleString("en")} distinct operations (every query text different, literal ids), then ${MEMORY_PAGES.toLocaleString("en")} distinct pages, 8 at a time, in ${fmt(memory.seconds)} s; ${memory.failures} failed answers${memory.firstFailures.length ? ` (first: ${memory.firstFailures[0]})` : ""}.`,
          "",
          `Resident memory (MB) after every 1,000 requests: ${memory.samples.map((x) => `${x.phase === "pages" ? "p" : ""}${x.done / 1000}k ${x.rssMb}`).join(", ")}. Bound: 350 MB, not growing.`,
          "",
          `Each gateway connection's backend, Pss_Anon (MB) after the pages: ${memory.backends.map((b) => b.pssAnonMb ?? `unreadable (${b.reason})`).join(", ")}. Bound: 50 MB.`,
          "",
        ]
      : []),
    ...eventCostLines(results),
    ...tracingCostLines(results, tracingExport),
    ...(subscriptions
      ? [
          "## Booking events (bench/subscriptions.ts: two gateway processes on the full data set)",
          "",
          `Commit on instance A (the createBooking answer) to the event at a subscriber on instance B, ${subscriptions.latencyMs.samples} bookings one at a time: p50 ${subscriptions.latencyMs.p50} ms, p99 ${subscriptions.latencyMs.p99} ms, max ${subscriptions.latencyMs.max} ms; ${subscriptions.latencyMs.missing} not received. Target: p50 < 100 ms, p99 < 500 ms.`,
          `The same with the ${SUBSCRIPTION_IDLE} idle subscriptions open on B (all woken by every commit, served from the shared window): p50 ${subscriptions.loadedLatencyMs.p50} ms, p99 ${subscriptions.loadedLatencyMs.p99} ms, max ${subscriptions.loadedLatencyMs.max} ms over ${subscriptions.loadedLatencyMs.samples}; ${subscriptions.loadedLatencyMs.missing} not received.`,
          `Commit on instance A to the webhook request (BOOKING_CREATED or BOOKING_REQUESTED) at a receiver (one \`"Webhook"\` per event type; delivered by either instance's graphile-worker): p50 ${subscriptions.webhookLatencyMs.p50} ms, p99 ${subscriptions.webhookLatencyMs.p99} ms, max ${subscriptions.webhookLatencyMs.max} ms over ${subscriptions.webhookLatencyMs.samples}; ${subscriptions.webhookLatencyMs.missing} not received. Target: p50 < 100 ms, p99 < 500 ms.`,
          "",
          "idle" in subscriptions && "reason" in subscriptions.idle
            ? `Idle subscriptions: not measured (${subscriptions.idle.reason}).`
            : `${(subscriptions.idle as { subscriptions: number }).subscriptions} idle subscriptions on instance B (20 per connection): resident memory ${(subscriptions.idle as { rssBeforeMb: number }).rssBeforeMb} → ${(subscriptions.idle as { rssAfterMb: number }).rssAfterMb} MB (+${(subscriptions.idle as { deltaMb: number }).deltaMb} MB). Target: under 50 MB.`,
          "",
        ]
      : []),
    "## Query plans of the list statements (full data set)",
    "",
    ...explains.flatMap((e) => [`### ${e.label}`, "", "```", e.plan, "```", ""]),
  ];
  writeFileSync(path.join(ROOT, "bench", ONLY ? "RESULTS-partial.md" : "RESULTS.md"), lines.join("\n"));
  console.log(lines.slice(0, 30 + results.length).join("\n"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
