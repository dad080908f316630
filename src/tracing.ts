import { LruMap } from "./cached";
import { nodeEnvOf, traceSamplesPerSecond, traceSqlComments } from "./config";
import { TraceBudget } from "./trace-budget";
import type http from "node:http";
import {
  context,
  createContextKey,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type SpanContext,
} from "@opentelemetry/api";

/**
 * OpenTelemetry tracing, off unless configured the standard way: OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), or OTEL_TRACES_EXPORTER other than `none`. Off, the SDK is
 * never loaded and every call below is OpenTelemetry API's no-op.
 *
 * On, the official Node SDK (@opentelemetry/sdk-node) exports with the exporter the OTEL_* variables
 * choose (OTLP over HTTP by default; OTEL_EXPORTER_OTLP_PROTOCOL=http/json or http/protobuf), with
 * the instrumentations for http (a span per request; W3C `traceparent` from the client is honoured),
 * express (its routers and handlers, not each middleware), graphql (Apollo's parse and validate)
 * and pg (a span per SQL statement, only inside a request's trace). The gateway adds a span per
 * GraphQL operation (`operationSpan`) and per DataLoader batch (loaders/index.ts; the DataLoader
 * instrumentation would add one per `load` call), tags every SQL statement of a sampled trace with
 * it (`sqlComment`, sqlcommenter style), writes the trace id into every log line (logger.ts) and
 * carries the trace to webhook deliveries. Sampling follows OTEL_TRACES_SAMPLER; unset, it is every
 * trace outside production and, in production, at most TRACE_SAMPLES_PER_SECOND new traces a second
 * (`tracesPerSecond`), or the share OTEL_TRACES_SAMPLER_ARG names (`samplerDefaults`).
 *
 * This module must be loaded before anything it instruments (main.ts imports it first).
 */
export const TRACING = tracingConfigured(process.env);

/**
 * Whether statements of a sampled trace end with its comment (TRACE_SQL_COMMENTS, default true). On,
 * a named statement is sent as `EXECUTE "name"(…) /*…*\/` and keeps its plan (pg-client.ts); an
 * unnamed one has the comment appended. A value other than true / false is reported by loadConfig,
 * which main.ts runs next.
 */
const SQL_COMMENTS = TRACING && commentsWanted();

function commentsWanted(): boolean {
  try {
    return traceSqlComments(process.env);
  } catch {
    return true;
  }
}

/** True when the environment asks for traces. */
export function tracingConfigured(env: NodeJS.ProcessEnv): boolean {
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter === "none" || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  return Boolean(exporter || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/**
 * In production with neither OTEL_TRACES_SAMPLER nor OTEL_TRACES_SAMPLER_ARG set: the most traces a
 * second that start here are recorded (TRACE_SAMPLES_PER_SECOND, default 10; a client's `traceparent`
 * still decides for its own trace). Undefined otherwise. A fixed number a second rather than a share:
 * recording a trace costs about 0.2–0.3 ms of CPU, and a share of the requests costs a share of the
 * throughput (a tenth cost 17–29 % of it on `booking(id)`, the cheapest request), where ten a second
 * cost 3 ms of CPU a second at any load, and a quiet gateway still records most of its requests
 * (README, Operating: Tracing). A value loadConfig refuses counts as the default here.
 */
export function tracesPerSecond(env: NodeJS.ProcessEnv): number | undefined {
  if (env.OTEL_TRACES_SAMPLER?.trim() || env.OTEL_TRACES_SAMPLER_ARG?.trim() || !production(env)) return undefined;
  try {
    return traceSamplesPerSecond(env);
  } catch {
    return traceSamplesPerSecond({});
  }
}

/**
 * The sampler variables the SDK is started with when OTEL_TRACES_SAMPLER is unset and
 * OTEL_TRACES_SAMPLER_ARG is set, in production: `parentbased_traceidratio` at that share (a client's
 * `traceparent` still decides for its own trace). Outside production (and whenever
 * OTEL_TRACES_SAMPLER is set), the SDK's own default applies: every trace; in production with neither
 * variable, `tracesPerSecond`. An invalid NODE_ENV counts as not production here; loadConfig refuses
 * it right after.
 */
export function samplerDefaults(env: NodeJS.ProcessEnv): Record<string, string> {
  const arg = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (env.OTEL_TRACES_SAMPLER?.trim() || !arg || !production(env)) return {};
  return { OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: arg };
}

function production(env: NodeJS.ProcessEnv): boolean {
  try {
    return nodeEnvOf(env) === "production";
  } catch {
    return false;
  }
}

/** Paths whose requests are not traced (probes and scrapes would drown the traces). */
const UNTRACED_PATHS = new Set(["/healthz", "/readyz", "/metrics", "/favicon.ico"]);

let shutdown: (() => Promise<void>) | undefined;

/** Head sampling at the door (see Door); undefined when tracing is off. */
let door: Door | undefined;

/** Whether tracing is suppressed in a context (@opentelemetry/core's rule); never when tracing is off. */
let suppressedIn: (ctx: Context) => boolean = () => false;

/** `ctx` with tracing suppressed (@opentelemetry/core's); the same context when tracing is off. */
let suppressed: (ctx: Context) => Context = (ctx) => ctx;

/** Longest statement text a span keeps whole; a longer one keeps its first and last characters. */
export const MAX_SPAN_STATEMENT_CHARS = 512;

/** A statement text for a span: whole up to MAX_SPAN_STATEMENT_CHARS, else its head and tail around " … ". */
export function clipStatement(text: string): string {
  if (text.length <= MAX_SPAN_STATEMENT_CHARS) return text;
  const tail = 160;
  return `${text.slice(0, MAX_SPAN_STATEMENT_CHARS - tail - 3)} … ${text.slice(-tail)}`;
}

if (TRACING) {
  // Loaded only when on: the SDK and its exporters cost tens of MB resident.
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when tracing is on */
  const sdkNode = require("@opentelemetry/sdk-node") as typeof import("@opentelemetry/sdk-node");
  const { NodeSDK, core, tracing } = sdkNode;
  const { HttpInstrumentation } = require("@opentelemetry/instrumentation-http") as typeof import("@opentelemetry/instrumentation-http");
  const { ExpressInstrumentation, ExpressLayerType } =
    require("@opentelemetry/instrumentation-express") as typeof import("@opentelemetry/instrumentation-express");
  const { GraphQLInstrumentation } =
    require("@opentelemetry/instrumentation-graphql") as typeof import("@opentelemetry/instrumentation-graphql");
  const { PgInstrumentation } = require("@opentelemetry/instrumentation-pg") as typeof import("@opentelemetry/instrumentation-pg");
  /* eslint-enable @typescript-eslint/no-require-imports -- the lazily loaded modules end here */
  // Traces only. Left to its defaults, the SDK would also export the instrumentations' metrics and a
  // log pipeline over OTLP every minute (the gateway's metrics are Prometheus, at /metrics), and
  // recording those metrics cost about 0.05 ms of CPU per request. Set these variables to have them.
  process.env.OTEL_METRICS_EXPORTER ??= "none";
  process.env.OTEL_LOGS_EXPORTER ??= "none";
  Object.assign(process.env, samplerDefaults(process.env));
  const perSecond = tracesPerSecond(process.env);
  const ratio = doorRatio(process.env);
  const budget = perSecond === undefined ? undefined : new TraceBudget(perSecond);
  const rule = ratio === undefined ? undefined : new tracing.TraceIdRatioBasedSampler(ratio);
  const admit = budget
    ? () => budget.take()
    : rule && ((traceId: string) => rule.shouldSample(ROOT_CONTEXT, traceId).decision === tracing.SamplingDecision.RECORD_AND_SAMPLED);
  const sampling = startDoor(admit, sdkNode);
  door = sampling;
  suppressedIn = core.isTracingSuppressed;
  suppressed = core.suppressTracing;
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME?.trim() || "calcom-graphql-gateway",
    // Under the budget: a trace the door admitted is recorded (it took its token there); any other new
    // trace (a WebSocket's, a webhook delivery's with none stored) takes one here. Otherwise the sampler
    // the OTEL_TRACES_SAMPLER variables name.
    sampler: budget && new tracing.ParentBasedSampler({ root: budgetSampler(budget, sampling, tracing) }),
    // Hands the door's sampled trace id to the request's server span (see Door).
    idGenerator: sampling.ids,
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes, and the requests the door did not sample: no spans at all.
        ignoreIncomingRequestHook: (req) => untracedPath(req) || context.active().getValue(DECLINED) !== undefined,
      }),
      // Routers and handlers; the middleware layers (CORS, body parser, request id) would add a span each.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      // Operation-level spans (parse, validate; execute when graphql-js runs it), not one per field.
      new GraphQLInstrumentation({ ignoreResolveSpans: true, mergeItems: true }),
      // Statements of a request only (the job queue's polling has no trace); never the values.
      new PgInstrumentation({
        requireParentSpan: true,
        enhancedDatabaseReporting: false,
        ignoreConnectSpans: true,
        // The read path's statements run to kilobytes: a span keeps their start and end (with the
        // sqlcommenter comment); this halved the bytes exported per page (2.7 → 1.3 KB, measured).
        requestHook: (span, info) => {
          // A span not recorded keeps nothing: no text to work out for it.
          if (span.isRecording()) span.setAttribute("db.query.text", clipStatement(spanText(info.query.text)));
        },
      }),
    ],
  });
  sdk.start();
  shutdown = () => sdk.shutdown();
}

/**
 * Head sampling at the door. Under the trace budget (the production default, `tracesPerSecond`) or a
 * ratio sampler (`traceidratio`, `parentbased_traceidratio`, `always_off`), a request that carries no
 * `traceparent` is sampled as the HTTP server emits it, before any instrumentation runs, on a trace
 * id drawn here: by a token of the budget, or by the rule the SDK's sampler applies
 * (TraceIdRatioBased) to that id:
 * - sampled: the request is instrumented as always, and its server span gets the trace id drawn here
 *   (`ids`: the next trace id the SDK asks for, synchronously in the same emit), so the SDK's sampler
 *   records it (the ratio's, deciding on the same id; the budget's, told by `admitted`);
 * - not sampled: it is emitted past the http instrumentation (to the emit it wrapped), in a context
 *   naming that trace as unrecorded (DECLINED) with tracing suppressed, so the SDK creates no span
 *   for it (express skips its layers, pg its statements; graphql's wrappers get the API's no-op
 *   span). The instrumentation would also have bound its request and response to that context;
 *   nothing here needs it: the front door continues through promises (they keep the context they
 *   were awaited in), and Express's body parser (raw-body) and on-finished run their callbacks in
 *   the caller's context (AsyncResource). A test sends a declined mutation's body in a later packet
 *   through both. Should the instrumentation still see such a request, its
 *   `ignoreIncomingRequestHook` ignores it by DECLINED. Its log lines (logger.ts), stored webhook
 *   deliveries (`currentTraceparent`) and outgoing calls (`injectTrace`) carry the unrecorded
 *   trace, as they carried an unsampled span's.
 * Every request is emitted from the root context, so none inherits another's trace (a pipelined
 * request can be emitted from a callback of the one before it).
 * Before, a request not sampled paid for its server span, a span per express layer and per statement
 * (none recorded) and their attributes: measured in pairs, 0.05–0.07 ms of CPU a request on
 * `booking(id)`, 0.03–0.09 ms on page 1 of 50 bookings (README, Operating: Tracing); passing the
 * instrumentation by saved its wrapper and its binding of the request and response, 0.011 ms more on
 * `booking(id)`. A request with a `traceparent` is left to the SDK (parent-based: the client's flag
 * decides), as is every request under any other sampler.
 */
interface Door {
  /** The unrecorded trace of `req` when it is not to be sampled, else undefined (and its id is the next the SDK draws). */
  decide: (req: http.IncomingMessage) => SpanContext | undefined;
  ids: { generateTraceId(): string; generateSpanId(): string };
  /** True (once) for the trace id the door admitted and the SDK just took for a request's server span. */
  admitted: (traceId: string) => boolean;
  /** Forgets a sampled id the SDK did not take (its emit is over). */
  settle: () => void;
  /** The context a declined request runs in: its unrecorded trace (DECLINED), with tracing suppressed. */
  declinedContext: (trace: SpanContext) => Context;
}

/**
 * The share of requests without `traceparent` the door samples, from the sampler variables (after
 * samplerDefaults), or undefined when the door leaves every request to the SDK: any sampler that is
 * not a fixed ratio (`always_on`, the SDK's default, included). An argument that is not a number in
 * [0, 1] counts as 1, as the SDK reads it.
 */
export function doorRatio(env: NodeJS.ProcessEnv): number | undefined {
  // Names as the SDK matches them (createSamplerFromEnv: exact, no trimming or case folding).
  const sampler = env.OTEL_TRACES_SAMPLER;
  if (sampler === "always_off" || sampler === "parentbased_always_off") return 0;
  if (sampler !== "traceidratio" && sampler !== "parentbased_traceidratio") return undefined;
  const arg = env.OTEL_TRACES_SAMPLER_ARG;
  const ratio = arg === undefined || arg.trim() === "" ? NaN : Number(arg);
  return Number.isNaN(ratio) || ratio < 0 || ratio > 1 ? 1 : ratio;
}

/** The unrecorded trace of a request the door did not sample, in the context everything it runs inherits. */
const DECLINED = createContextKey("calcom-graphql-gateway: the trace of a request not sampled at the door");

function untracedPath(req: http.IncomingMessage): boolean {
  return UNTRACED_PATHS.has((req.url ?? "").split("?")[0]);
}

/**
 * The door, admitting a new trace when `admit` says so (the ratio's rule on the trace id, or the
 * budget); with no `admit`, every request is left to the SDK.
 */
function startDoor(admit: ((traceId: string) => boolean) | undefined, sdk: typeof import("@opentelemetry/sdk-node")): Door {
  const { tracing, core } = sdk;
  const random = new tracing.RandomIdGenerator();
  /** The id admitted for the request being emitted, until the SDK takes it for the server span. */
  let next: string | undefined;
  /** That id once taken, until the SDK's sampler asks about it (`admitted`) or the emit is over. */
  let taken: string | undefined;
  return {
    decide(req) {
      if (!admit || req.headers.traceparent !== undefined || untracedPath(req)) return undefined;
      const traceId = random.generateTraceId();
      if (admit(traceId)) {
        next = traceId;
        return undefined;
      }
      return { traceId, spanId: random.generateSpanId(), traceFlags: TraceFlags.NONE };
    },
    ids: {
      generateTraceId() {
        const id = next ?? random.generateTraceId();
        taken = next;
        next = undefined;
        return id;
      },
      generateSpanId: () => random.generateSpanId(),
    },
    admitted(traceId) {
      if (taken === undefined || traceId !== taken) return false;
      taken = undefined;
      return true;
    },
    settle: () => (next = taken = undefined),
    declinedContext: (trace) => core.suppressTracing(ROOT_CONTEXT.setValue(DECLINED, trace)),
  };
}

/**
 * The root sampler under the trace budget (production's default): a trace the door admitted for a
 * request is recorded (its token is spent); any other new trace is recorded while the budget lasts.
 */
function budgetSampler(
  budget: TraceBudget,
  door: Door,
  tracing: typeof import("@opentelemetry/sdk-node").tracing,
): import("@opentelemetry/sdk-node").tracing.Sampler {
  return {
    shouldSample: (_context, traceId) => ({
      decision: door.admitted(traceId) || budget.take() ? tracing.SamplingDecision.RECORD_AND_SAMPLED : tracing.SamplingDecision.NOT_RECORD,
    }),
    toString: () => `TraceBudget{${budget.perSecond}/s}`,
  };
}

/**
 * Samples `server`'s requests at the door (see Door): each `request` event is emitted in the context
 * the door chose. Off, or under a sampler that is not a fixed ratio, leaves the server as it is.
 */
export function sampleAtTheDoor(server: http.Server): void {
  if (!door) return;
  const { decide, settle, declinedContext } = door;
  type Emit = (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- always called with the server as `this` (below)
  const instrumented = server.emit as Emit;
  // What the http instrumentation wrapped (shimmer keeps it as `__original`), or the same emit.
  const bare = (instrumented as Emit & { __original?: Emit }).__original ?? instrumented;
  server.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== "request") return instrumented.call(this, event, ...args);
    const declined = decide(args[0] as http.IncomingMessage);
    try {
      if (declined) return context.with(declinedContext(declined), () => bare.call(this, event, ...args));
      return context.with(ROOT_CONTEXT, () => instrumented.call(this, event, ...args));
    } finally {
      settle();
    }
  } as typeof server.emit;
}

/**
 * The trace a log line written here belongs to: the active span's, or (in a request the door did not
 * sample, where tracing is suppressed and a library's span is the API's invalid one) the request's
 * unrecorded trace; undefined when there is none (or tracing is off).
 */
export function activeTrace(): SpanContext | undefined {
  if (!TRACING) return undefined;
  const active = context.active();
  return validSpanIn(active) ?? (active.getValue(DECLINED) as SpanContext | undefined);
}

/** The context to propagate from: the active one, or the unrecorded trace of a request the door did not sample (see activeTrace). */
function propagated(): Context {
  const active = context.active();
  const declined = active.getValue(DECLINED) as SpanContext | undefined;
  return declined && !validSpanIn(active) ? trace.setSpanContext(ROOT_CONTEXT, declined) : active;
}

/** The span context active in `ctx` when it is a valid one (not the API's invalid span of suppressed tracing). */
function validSpanIn(ctx: Context): SpanContext | undefined {
  const span = trace.getSpan(ctx)?.spanContext();
  return span && isSpanContextValid(span) ? span : undefined;
}

/** The texts of the named statements run as `EXECUTE` in sampled traces (pg-client.ts), by name. */
const statementTexts = new LruMap<string, string>(2_000);

/** Records that the prepared statement `name` is `text` (its traced runs show `text` in their spans). */
export function rememberStatement(name: string, text: string): void {
  if (statementTexts.get(name) === undefined) statementTexts.set(name, text);
}

const EXECUTE_TEXT = /^EXECUTE "([^"]+)"(?:\(.*\))? (\/\*traceparent='[^']*'\*\/)$/s;

/**
 * What a SQL span shows of a statement: its own text. A traced `EXECUTE "name"('v1', …) /*…*\/`
 * (pg-client.ts) shows the prepared statement's text with the comment instead (or only the EXECUTE
 * and the name, once the text fell out of the bounded memo), so a span carries the same text
 * whichever way the statement was sent, and never the values.
 */
export function spanText(sent: string): string {
  const execute = EXECUTE_TEXT.exec(sent);
  if (!execute) return sent;
  return `${statementTexts.get(execute[1]) ?? `EXECUTE "${execute[1]}"`} ${execute[2]}`;
}

/** Flushes and stops tracing (on shutdown, so the last spans are exported). */
export async function stopTracing(): Promise<void> {
  await shutdown?.().catch(() => undefined);
}

const tracer = trace.getTracer("calcom-graphql-gateway");

/**
 * Runs `work` in a span of its own, the active one for everything `work` awaits (its SQL, batches
 * and log lines). Errors thrown are recorded and rethrown. Off, or inside a trace that is not
 * sampled (a span there would not be recorded either, and the trace id of log lines stays the
 * same), runs `work` directly.
 */
export function inSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  if (!TRACING || !sampledOrNone()) return work();
  return tracer.startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await work();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * True inside a sampled trace, or outside any trace (a span started there is a root, for the sampler
 * to decide); false in a trace not sampled, where tracing is suppressed (probes, and requests the
 * door did not sample).
 */
function sampledOrNone(): boolean {
  const active = trace.getActiveSpan();
  if (active) return (active.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
  return !suppressedIn(context.active());
}

/** A GraphQL operation's span (`query Name`), with the semantic-convention attributes. */
export function operationSpan<T>(type: string, name: string | null, work: () => Promise<T>): Promise<T> {
  if (!TRACING) return work();
  return inSpan(name ? `${type} ${name}` : type, operationAttributes(type, name), work);
}

/** Gives the active span the attributes of the GraphQL operation it turned out to run (a WebSocket's `subscribe`). */
export function nameOperation(type: string, name: string | null): void {
  if (TRACING) trace.getActiveSpan()?.setAttributes(operationAttributes(type, name));
}

function operationAttributes(type: string, name: string | null): Attributes {
  const attributes: Attributes = { "graphql.operation.type": type };
  if (name) attributes["graphql.operation.name"] = name;
  return attributes;
}

/**
 * The sqlcommenter comment naming the active trace (`/*traceparent='00-…-…-01'*\/`), appended to
 * every statement of a sampled trace, so `pg_stat_activity` and the server log show which request
 * runs what (GatewayClient sends a commented named statement as an EXECUTE of it, so it keeps its
 * plan). Empty when off, with TRACE_SQL_COMMENTS=false, outside a trace, or in a trace not sampled.
 */
export function sqlComment(): string {
  if (!SQL_COMMENTS) return "";
  const span = trace.getActiveSpan();
  if (!span || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return "";
  const traceparent = currentTraceparent();
  return traceparent ? `/*traceparent='${traceparent}'*/` : "";
}

/** Runs `work` outside any trace (what it sends to Postgres gets no span and no comment). */
export function outsideTrace<T>(work: () => T): T {
  return TRACING ? context.with(ROOT_CONTEXT, work) : work();
}

/**
 * Runs `work` with tracing suppressed: nothing it runs makes a span, nor a trace of its own. For work
 * that belongs to no request yet runs code the instrumentations trace, such as type-graphql's check of
 * the schema at startup (an introspection query through graphql-js: three traces of one span each).
 */
export function untraced<T>(work: () => T): T {
  return TRACING ? context.with(suppressed(context.active()), work) : work();
}

/** The active trace as a W3C `traceparent` value (stored with a webhook delivery), or null. */
export function currentTraceparent(): string | null {
  if (!TRACING) return null;
  const carrier: Record<string, string> = {};
  propagation.inject(propagated(), carrier);
  return carrier.traceparent ?? null;
}

/** The context a stored `traceparent` names (a webhook delivery continues its mutation's trace). */
export function contextOf(traceparent: string | null | undefined): Context {
  if (!TRACING || !traceparent) return context.active();
  return propagation.extract(context.active(), { traceparent });
}

/** Adds the active trace's `traceparent` (and `tracestate`) to outgoing headers. */
export function injectTrace(headers: Record<string, string>): Record<string, string> {
  if (TRACING) propagation.inject(propagated(), headers);
  return headers;
}

export { context as traceContext, SpanKind };
