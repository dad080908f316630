import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "graphql-ws";
import { DataSource } from "typeorm";
import WebSocket from "ws";
import { gatewayPg } from "../src/db/pg-client";
import { tracing as sdkTracing } from "@opentelemetry/sdk-node";
import { ROOT_CONTEXT } from "@opentelemetry/api";
import { doorRatio, samplerDefaults, tracesPerSecond } from "../src/tracing";
import { ENTITIES } from "../src/entities";
import { createBooking, createEventType, createViewer } from "./support/factories";
import { sleep, startGatewayProcess, until, type GatewayProcess } from "./support/gateway-process";
import { urlForDatabase } from "./support/env";
import { createTestDatabase, dropTestDatabase, readPathRouted, startTestGateway } from "./support/harness";
import type { AnyJson } from "./support/json";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver";

/**
 * OpenTelemetry tracing end to end: the built gateway, with OTEL_EXPORTER_OTLP_ENDPOINT set, exports
 * OTLP/HTTP (JSON) to a real receiver on 127.0.0.1. A request carrying a W3C `traceparent` yields
 * the HTTP server span, the operation span, DataLoader batches and SQL statements in that trace;
 * the statements carry the trace as a sqlcommenter comment; the log line names the trace; a
 * mutation's webhook delivery continues the trace and sends it to the receiver.
 */

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }>;
}

/** One OTLP/HTTP JSON metrics export (the parts read here). */
interface OtlpMetrics {
  resourceMetrics: Array<{
    scopeMetrics: Array<{ metrics: Array<{ name: string; histogram?: { dataPoints: Array<{ count: string | number }> } }> }>;
  }>;
}

/** The requests an export's `http.server.request.duration` histogram counted (cumulative: the total so far). */
const serverDurationCount = (m: OtlpMetrics) =>
  m.resourceMetrics
    .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
    .filter((x) => x.name === "http.server.request.duration")
    .flatMap((x) => x.histogram?.dataPoints ?? [])
    .reduce((sum, p) => sum + Number(p.count), 0);

/** An OTLP/HTTP JSON receiver: keeps every span and every metrics export it is sent. */
async function startOtlpReceiver(): Promise<{
  url: string;
  spans: OtlpSpan[];
  metrics: OtlpMetrics[];
  paths: Set<string>;
  close(): Promise<void>;
}> {
  const spans: OtlpSpan[] = [];
  const metrics: OtlpMetrics[] = [];
  const paths = new Set<string>();
  const server = http.createServer((req, res) => {
    paths.add(req.url ?? "");
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/v1/traces") {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
        };
        for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      if (req.url === "/v1/metrics") metrics.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpMetrics);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    metrics,
    paths,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const attr = (span: OtlpSpan, key: string) => span.attributes.find((a) => a.key === key)?.value.stringValue;
const SERVER = 2;

describe("tracing (OpenTelemetry, OTLP over HTTP)", () => {
  let name: string;
  let ds: DataSource;
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let receiver: WebhookReceiver;
  let gw: GatewayProcess;
  let key: string;
  let bookingId: number;
  let eventTypeId: number;

  beforeAll(async () => {
    name = await createTestDatabase();
    ds = await new DataSource({
      type: "postgres",
      url: urlForDatabase(name),
      driver: gatewayPg,
      entities: ENTITIES,
      extra: { max: 2 },
    }).initialize();
    const organizer = await createViewer(ds, { timeZone: "UTC" });
    key = organizer.key;
    eventTypeId = (await createEventType(ds, { userId: organizer.user.id, length: 30 })).id;
    bookingId = (await createBooking(ds, { userId: organizer.user.id, eventTypeId, attendees: [{ email: "a@example.test" }] })).id;
    receiver = await startWebhookReceiver();
    await ds.query(
      `INSERT INTO "Webhook" (id, "userId", "subscriberUrl", "eventTriggers", active, platform)
       VALUES ($1, $2, $3, ARRAY['BOOKING_CREATED']::"WebhookTriggerEvents"[], true, false)`,
      [randomUUID(), organizer.user.id, `${receiver.url}/hook`],
    );
    otlp = await startOtlpReceiver();
    gw = await startGatewayProcess({
      env: {
        DATABASE_URL: urlForDatabase(name),
        LOG_LEVEL: "info",
        RATE_LIMIT_PER_MINUTE: "0",
        WEBHOOK_BLOCK_PRIVATE_ADDRESSES: "false",
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_BSP_SCHEDULE_DELAY: "100",
        // Were the SDK's metric exporter on (its default), it would post to /v1/metrics every 200 ms.
        OTEL_METRIC_EXPORT_INTERVAL: "200",
      },
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await otlp?.close();
    await receiver?.close();
    await ds?.destroy();
    await dropTestDatabase(name);
  });

  const traceparent = () => {
    const traceId = randomUUID().replace(/-/g, "");
    return { traceId, header: `00-${traceId}-${randomUUID().replace(/-/g, "").slice(0, 16)}-01` };
  };
  /** A JSON POST's headers as the organizer, with `extra` on top. */
  const postHeaders = (extra: Record<string, string | number>) => ({
    "content-type": "application/json",
    authorization: `Bearer ${key}`,
    ...extra,
  });
  /** POSTs `query` to the gateway at `url` as the organizer. */
  const postTo = (url: string, query: string, headers: Record<string, string> = {}, variables: Record<string, unknown> = {}) =>
    fetch(`${url}/graphql`, { method: "POST", headers: postHeaders(headers), body: JSON.stringify({ query, variables }) });
  /** A POST whose body follows its headers 100 ms later: the gateway reads it from a later packet, in the socket's callbacks. */
  const postLate = (url: string, query: string, headers: Record<string, string>, variables: Record<string, unknown>) =>
    new Promise<unknown>((resolve, reject) => {
      const body = JSON.stringify({ query, variables });
      const req = http.request(
        `${url}/graphql`,
        { method: "POST", headers: postHeaders({ "content-length": Buffer.byteLength(body), ...headers }) },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (text += chunk));
          res.on("end", () => {
            try {
              resolve(JSON.parse(text));
            } catch {
              reject(new Error(`not JSON (HTTP ${res.statusCode}): ${text.slice(0, 200)}`));
            }
          });
        },
      );
      req.on("error", reject);
      req.flushHeaders();
      setTimeout(() => req.end(body), 100);
    });
  const post = (query: string, header: string, variables: Record<string, unknown> = {}) =>
    postTo(gw.url, query, { traceparent: header }, variables).then((r) => r.json() as Promise<{ data?: AnyJson; errors?: unknown[] }>);
  /** A production gateway exporting to `endpoint` (the shared receiver), with `env` on top. */
  const productionGateway = (env: Record<string, string> = {}, endpoint = otlp.url) =>
    startGatewayProcess({
      env: {
        DATABASE_URL: urlForDatabase(name),
        NODE_ENV: "production",
        HOST: "127.0.0.1",
        LOG_LEVEL: "info",
        RATE_LIMIT_PER_MINUTE: "0",
        WEBHOOK_BLOCK_PRIVATE_ADDRESSES: "false",
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_BSP_SCHEDULE_DELAY: "100",
        ...env,
      },
    });
  const spansOf = (traceId: string) => otlp.spans.filter((s) => s.traceId === traceId);
  /** A graphql-ws client of the gateway at `url`, as the organizer. */
  const wsClient = (url: string) =>
    createClient({
      url: `${url.replace("http://", "ws://")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
    });
  /** The statement texts of a trace's SQL spans, once the receiver has any. */
  const sqlTextsOf = (traceId: string) =>
    until(
      "the trace's SQL spans",
      () => {
        const sql = spansOf(traceId).filter((s) => s.name.startsWith("pg.query"));
        return sql.length ? sql.map((s) => attr(s, "db.query.text") ?? "") : undefined;
      },
      10_000,
    );
  /** The gateway's "graphql request" log line naming `traceId`, parsed. */
  const requestLogLine = (traceId: string) => {
    const line = gw
      .output()
      .split("\n")
      .find((l) => l.includes('"msg":"graphql request"') && l.includes(traceId));
    expect(line).toBeDefined();
    return JSON.parse(line!) as Record<string, unknown>;
  };

  it.each([
    ["through Apollo (first time)", 0],
    ["through the read path's route (compiled before)", 1],
  ])("a query %s: HTTP, operation and SQL spans in the client's trace, SQL tagged, the log line names it", async (_label, round) => {
    const query = `query Traced($id: Int) { booking(id: $id) { id title attendees { email } eventType { id title } } }`;
    if (round === 1) await post(query, traceparent().header, { id: bookingId });
    const routed = () => readPathRouted(gw.url);
    const routedBefore = await routed();
    const { traceId, header } = traceparent();
    const answer = await post(query, header, { id: bookingId });
    expect(await routed()).toBe(routedBefore + round); // the second round took the route
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.booking.id).toBe(bookingId);
    const spans = await until(
      "the trace's spans",
      () => {
        const got = spansOf(traceId);
        return got.some((s) => s.kind === SERVER) &&
          got.some((s) => s.name === "query Traced") &&
          got.some((s) => attr(s, "db.system.name") === "postgresql")
          ? got
          : undefined;
      },
      10_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; got ${JSON.stringify(spansOf(traceId).map((s) => [s.name, s.kind]))}`);
    });
    const server = spans.find((s) => s.kind === SERVER)!;
    expect(server.parentSpanId).toBe(header.split("-")[2]); // the client's span is its parent
    const operation = spans.find((s) => s.name === "query Traced")!;
    const sql = spans.filter((s) => attr(s, "db.system.name") === "postgresql" && s.name.startsWith("pg.query"));
    // Every SQL span hangs below the server span; the page's statement below the operation (the key
    // lookup of the first request comes before it, inside the server span).
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const ancestors = (s: OtlpSpan) => {
      const out: string[] = [];
      for (let p = s.parentSpanId; p && byId.has(p); p = byId.get(p)!.parentSpanId) out.push(p);
      return out;
    };
    expect(ancestors(operation)).toContain(server.spanId);
    for (const s of sql) expect(ancestors(s)).toContain(server.spanId);
    expect(sql.filter((s) => ancestors(s).includes(operation.spanId)).length).toBeGreaterThan(0);
    // sqlcommenter: the statement text names the trace.
    for (const s of sql) expect(attr(s, "db.query.text")).toContain(`/*traceparent='00-${traceId}-`);
    expect(requestLogLine(traceId)).toMatchObject({ traceId, operationName: "Traced" });
  });

  it("a sampled trace's statements keep their prepared plan: EXECUTE with the comment in pg_stat_activity, the statement's text in the span", async () => {
    const query = `query Kept($take: Int) { bookings(take: $take) { nodes { id title attendees { email } } } }`;
    const first = traceparent();
    const unsampled = traceparent();
    const last = traceparent();
    // Sampled (the statement is PREPAREd, then EXECUTEd), not sampled (run by name on the connection
    // that now holds it), sampled again (EXECUTE only): each must answer.
    for (const header of [first.header, unsampled.header.replace(/-01$/, "-00"), last.header]) {
      const answer = await post(query, header, { take: 3 });
      expect(answer.errors).toBeUndefined();
      expect((answer.data as { bookings: { nodes: unknown[] } }).bookings.nodes.length).toBe(1);
    }
    const activity = await ds.query<Array<{ query: string }>>(
      `SELECT query FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [name],
    );
    const executed = activity.map((a) => a.query).filter((q) => q.includes(last.traceId));
    expect(executed.length).toBeGreaterThan(0);
    for (const q of executed)
      expect(q).toMatch(new RegExp(`^EXECUTE "gw_[0-9a-f]+"(\\(.*\\))? /\\*traceparent='00-${last.traceId}-[0-9a-f]{16}-01'\\*/$`, "s"));
    const texts = await sqlTextsOf(last.traceId);
    // The span shows the statement (with its parameters, not the values) and the comment.
    for (const text of texts) {
      expect(text).not.toMatch(/^(EXECUTE|PREPARE)\b/);
      expect(text).toMatch(/^SELECT\b[\s\S]*\$\d[\s\S]*\/\*traceparent='00-[0-9a-f]{32}-[0-9a-f]{16}-01'\*\/$/);
    }
  });

  it("a client's trace that is not sampled (flags 00) is not recorded, and its statements carry no comment", async () => {
    const { traceId, header } = traceparent();
    const sampled = traceparent();
    await post(`query Unsampled { bookings(take: 2) { nodes { id } } }`, header.replace(/-01$/, "-00"));
    await post(`query Unsampled { bookings(take: 2) { nodes { id } } }`, sampled.header);
    await until("the sampled request's spans", () => spansOf(sampled.traceId).some((s) => s.kind === SERVER), 10_000);
    expect(spansOf(traceId)).toEqual([]);
    const statements = otlp.spans.filter((s) => s.name.startsWith("pg.query")).map((s) => attr(s, "db.query.text") ?? "");
    expect(statements.some((t) => t.includes(traceId))).toBe(false);
    // Its log line still names the client's trace.
    expect(requestLogLine(traceId)).toMatchObject({ traceId, operationName: "Unsampled" });
  });

  it("an executor query batches in a DataLoader span of the trace", async () => {
    const { traceId, header } = traceparent();
    const answer = await post(`{ bookings(take: 5) { nodes { id eventType { id hosts { user { id } } } } } }`, header);
    expect(answer.errors).toBeUndefined();
    const spans = await until(
      "a batch span",
      () => {
        const got = spansOf(traceId);
        return got.some((s) => /dataloader/i.test(s.name)) ? got : undefined;
      },
      10_000,
    );
    expect(spans.some((s) => s.kind === SERVER)).toBe(true);
  });

  it("a mutation's webhook delivery continues its trace and sends it to the receiver", async () => {
    const { traceId, header } = traceparent();
    const created = await post(`mutation($in: CreateBookingInput!) { createBooking(input: $in) { id } }`, header, {
      in: { eventTypeId, start: "2034-02-01T10:00:00Z", timeZone: "UTC", responses: { name: "B", email: "b@example.test" } },
    });
    expect(created.errors).toBeUndefined();
    const delivered = await until(
      "the delivery",
      () => receiver.at("/hook").find((r) => r.json.payload.bookingId === created.data!.createBooking.id),
      10_000,
    );
    expect(delivered.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    await until("the delivery span", () => spansOf(traceId).find((s) => s.name === "webhook delivery"), 10_000);
  });

  it("over WebSocket, a subscribe message is one trace and each event another, with its batches; the schema's check at startup records none", async () => {
    // From the end of the event log, so the booking's event is sent however soon it is committed.
    let after: string | null = null;
    for (;;) {
      const page = await post(
        `query($a: String) { bookingEvents(after: $a, first: 250) { endCursor hasNextPage } }`,
        traceparent().header,
        {
          a: after,
        },
      );
      const events = page.data as { bookingEvents: { endCursor: string | null; hasNextPage: boolean } };
      after = events.bookingEvents.endCursor ?? after;
      if (!events.bookingEvents.hasNextPage) break;
    }
    const client = wsClient(gw.url);
    const received: unknown[] = [];
    const stop = client.subscribe(
      {
        query: `subscription Watch($after: String) { bookingEvents(after: $after) { type booking { id attendees { email } } } }`,
        variables: { after },
      },
      { next: (r) => void received.push(r), error: (e) => void received.push(e), complete: () => undefined },
    );
    try {
      const subscribe = await until(
        "the subscribe span",
        () => otlp.spans.find((s) => s.name === "subscribe" && attr(s, "graphql.operation.name") === "Watch"),
        10_000,
      );
      expect(subscribe.kind).toBe(SERVER);
      expect(subscribe.parentSpanId ?? "").toBe("");
      const inIt = spansOf(subscribe.traceId);
      for (const step of ["graphql.parse", "graphql.validate"])
        expect(inIt.find((s) => s.name === step)?.parentSpanId).toBe(subscribe.spanId);
      // No trace of a lone parse, validation or introspection (type-graphql's check of the schema as the gateway starts).
      expect(otlp.spans.filter((s) => /^graphql\.(parse|validate)$|IntrospectionQuery/.test(s.name) && !s.parentSpanId)).toEqual([]);

      const created = await post(`mutation($in: CreateBookingInput!) { createBooking(input: $in) { id } }`, traceparent().header, {
        in: { eventTypeId, start: "2034-02-03T10:00:00Z", timeZone: "UTC", responses: { name: "W", email: "w@example.test" } },
      });
      expect(created.errors).toBeUndefined();
      const id = (created.data as { createBooking: { id: number } }).createBooking.id;
      await until("the event", () => received.find((r) => JSON.stringify(r).includes(`"id":${id}`)), 10_000);
      const event = await until("the event's span", () => otlp.spans.find((s) => s.name === "subscription Watch"), 10_000);
      expect(event.parentSpanId ?? "").toBe("");
      const batches = await until(
        "the event's batches",
        () => {
          const got = spansOf(event.traceId).filter((s) => s.name.startsWith("dataloader.batch"));
          return got.length ? got : undefined;
        },
        10_000,
      );
      for (const b of batches) expect(b.parentSpanId).toBe(event.spanId);
    } finally {
      stop();
      await client.dispose();
    }
  });

  it("with TRACE_SQL_COMMENTS=false the statements of a sampled trace carry no comment (they stay prepared)", async () => {
    const plain = await startGatewayProcess({
      env: {
        DATABASE_URL: urlForDatabase(name),
        RATE_LIMIT_PER_MINUTE: "0",
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_BSP_SCHEDULE_DELAY: "100",
        TRACE_SQL_COMMENTS: "false",
      },
    });
    try {
      const { traceId, header } = traceparent();
      const res = await postTo(plain.url, `query Uncommented { bookings(take: 2) { nodes { id } } }`, { traceparent: header });
      expect(res.status).toBe(200);
      const statements = await sqlTextsOf(traceId);
      for (const text of statements) expect(text).not.toContain("traceparent");
    } finally {
      await plain.stop();
    }
  });

  /** The gateway's "graphql request" log lines for `operationName`, in order, parsed. */
  const loggedLines = (g: GatewayProcess, operationName: string) =>
    g
      .output()
      .split("\n")
      .filter((l) => l.includes('"msg":"graphql request"') && l.includes(`"operationName":"${operationName}"`))
      .map((l) => JSON.parse(l) as { traceId?: string; spanId?: string });
  /** Their trace ids. */
  const loggedTraces = (g: GatewayProcess, operationName: string) => loggedLines(g, operationName).map((l) => l.traceId);

  it("in production, with no OTEL_TRACES_SAMPLER, records at most TRACE_SAMPLES_PER_SECOND new traces a second, and every client's sampled one", async () => {
    const prod = await productionGateway({ TRACE_SAMPLES_PER_SECOND: "5" });
    try {
      const ask = (headers: Record<string, string>) =>
        postTo(prod.url, `query Budgeted { bookings(take: 2) { nodes { id } } }`, headers).then((r) => expect(r.status).toBe(200));
      const started = Date.now();
      const requests = 120;
      for (let i = 0; i < requests; i += 10) await Promise.all(Array.from({ length: 10 }, () => ask({})));
      const seconds = (Date.now() - started) / 1_000;
      const client = traceparent();
      await ask({ traceparent: client.header }); // the budget is spent by now: the client's flag still decides
      await until("the client's sampled trace", () => spansOf(client.traceId).find((s) => s.kind === SERVER), 10_000);
      await sleep(500); // the exporter's batches are 100 ms apart
      const logged = await until(
        "the log lines",
        () => (loggedTraces(prod, "Budgeted").length === requests + 1 ? loggedTraces(prod, "Budgeted") : undefined),
        5_000,
      );
      const recorded = new Set(otlp.spans.filter((s) => s.name === "query Budgeted" && s.traceId !== client.traceId).map((s) => s.traceId));
      // The bucket holds 5 and refills at 5 a second: at most 5 + 5 × seconds, and at least the first 5.
      expect(recorded.size).toBeGreaterThanOrEqual(5);
      expect(recorded.size).toBeLessThanOrEqual(5 + Math.ceil(5 * seconds));
      expect(recorded.size).toBeLessThan(requests / 2);
      // Each recorded trace is the one its request's log line names; the others recorded nothing.
      for (const t of recorded) expect(logged).toContain(t);
      await until(
        "the recorded traces' server and SQL spans",
        () =>
          [...recorded].every((t) => spansOf(t).some((s) => s.kind === SERVER) && spansOf(t).some((s) => s.name.startsWith("pg.query"))) ||
          undefined,
        10_000,
      );
      for (const t of logged.filter((t) => t !== client.traceId && !recorded.has(t!))) expect(spansOf(t!)).toEqual([]);
      // After a quiet second the budget is back: the next request is recorded.
      await sleep(1_100);
      await ask({});
      const next = await until("the next log line", () => loggedTraces(prod, "Budgeted").at(requests + 1), 5_000);
      await until("the next request's trace", () => spansOf(next).find((s) => s.kind === SERVER), 10_000);
    } finally {
      await prod.stop();
    }
  });

  it("in production, the subscribe messages of a WebSocket take their traces from the same budget", async () => {
    const prod = await productionGateway({ TRACE_SAMPLES_PER_SECOND: "2" });
    const client = wsClient(prod.url);
    try {
      // Each is refused by validation once its subscribe span has ended: its error tells it is done.
      const started = Date.now();
      const refused = await Promise.all(
        Array.from(
          { length: 16 },
          () =>
            new Promise<unknown>((resolve) =>
              client.subscribe(
                { query: `subscription Budgeted { bookingEvents { noSuchField } }` },
                { next: resolve, error: resolve, complete: () => undefined },
              ),
            ),
        ),
      );
      const seconds = (Date.now() - started) / 1_000;
      expect(JSON.stringify(refused)).toContain("noSuchField");
      await sleep(500); // the exporter's batches are 100 ms apart
      const mine = otlp.spans.filter((s) => s.name === "subscribe" && attr(s, "graphql.operation.name") === "Budgeted");
      for (const s of mine) expect(spansOf(s.traceId).find((x) => x.name === "graphql.validate")?.parentSpanId).toBe(s.spanId);
      // The bucket holds 2 and refills at 2 a second.
      expect(mine.length).toBeGreaterThanOrEqual(2);
      expect(mine.length).toBeLessThanOrEqual(2 + Math.ceil(2 * seconds));
      expect(mine.length).toBeLessThan(16);
    } finally {
      await client.dispose();
      await prod.stop();
    }
  });

  it("samples at the door: a trace the ratio declines gets no span at all, one it keeps is recorded under the id its log line names", async () => {
    const prod = await productionGateway({ OTEL_TRACES_SAMPLER_ARG: "0.5" }); // a share, not the budget
    try {
      // Through Apollo (the first) and through the read path's route (the rest).
      for (let i = 0; i < 40; i++) {
        const res = await postTo(prod.url, `query AtTheDoor { bookings(take: 2) { nodes { id attendees { email } } } }`);
        expect(res.status).toBe(200);
      }
      const traces = await until(
        "the 40 log lines",
        () => (loggedTraces(prod, "AtTheDoor").length === 40 ? loggedTraces(prod, "AtTheDoor") : undefined),
        5_000,
      );
      for (const t of traces) expect(t).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
      expect(new Set(traces).size).toBe(40);
      // The SDK's own rule on the id the log line names says which were kept.
      const rule = new sdkTracing.TraceIdRatioBasedSampler(0.5);
      const kept = traces.filter((t) => rule.shouldSample(ROOT_CONTEXT, t!).decision === sdkTracing.SamplingDecision.RECORD_AND_SAMPLED);
      const declined = traces.filter((t) => !kept.includes(t));
      expect(kept.length).toBeGreaterThan(0);
      expect(declined.length).toBeGreaterThan(0);
      // Each kept trace is recorded with its server, operation and SQL spans (the SDK used the door's id)…
      await until(
        "the kept traces' spans",
        () =>
          kept.every((t) => {
            const spans = spansOf(t!);
            return (
              spans.some((s) => s.kind === SERVER) &&
              spans.some((s) => s.name === "query AtTheDoor") &&
              spans.some((s) => s.name.startsWith("pg.query"))
            );
          }) || undefined,
        10_000,
      );
      await sleep(500); // the exporter's batches are 100 ms apart
      // …and a declined one has none: no server span, no express layer, no statement.
      for (const t of declined) expect(spansOf(t!)).toEqual([]);
    } finally {
      await prod.stop();
    }
  });

  // The front door reads a plain JSON body itself; any other Accept goes straight to Express, whose
  // body parser reads it in the request's event callbacks. The body comes in a later packet than the
  // headers, so it is read in the socket's callbacks: the door's context must still reach the mutation.
  it.each([
    ["through the front door", {}, "2034-02-02T10:00:00Z"],
    ["straight to Express", { accept: "application/graphql-response+json" }, "2034-02-02T11:00:00Z"],
  ])(
    "a mutation the door declines (%s) sends its unrecorded trace (flags 00) to the webhook receiver, and records nothing",
    async (_route, headers, start) => {
      const prod = await productionGateway({ OTEL_TRACES_SAMPLER_ARG: "0" });
      try {
        const spansBefore = otlp.spans.length;
        const created = (await postLate(
          prod.url,
          `mutation Declined($in: CreateBookingInput!) { createBooking(input: $in) { id } }`,
          headers,
          {
            in: { eventTypeId, start, timeZone: "UTC", responses: { name: "C", email: "c@example.test" } },
          },
        )) as { data?: { createBooking: { id: number } }; errors?: unknown[] };
        expect(created.errors).toBeUndefined();
        const { traceId, spanId } = await until("the log line", () => loggedLines(prod, "Declined").at(0), 5_000);
        expect(traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
        const delivered = await until(
          "the delivery",
          () => receiver.at("/hook").find((r) => r.json.payload.bookingId === created.data!.createBooking.id),
          10_000,
        );
        // The receiver's parent is the delivery's own HTTP client span, in the mutation's trace, not sampled.
        expect(delivered.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
        // What the mutation stored is the door's unrecorded trace, span and all (without the door, the
        // log line and the stored trace came from different spans of the request).
        const stored = await ds.query<Array<{ traceparent: string }>>(
          `SELECT traceparent FROM gateway.webhook_deliveries WHERE traceparent LIKE $1`,
          [`00-${traceId}-%`],
        );
        expect(stored.map((r) => r.traceparent)).toEqual([`00-${traceId}-${spanId}-00`]);
        await sleep(500);
        expect(otlp.spans.slice(spansBefore).filter((s) => s.traceId === traceId)).toEqual([]);
      } finally {
        await prod.stop();
      }
    },
  );

  it("a request the door declines is not instrumented: the http instrumentation does not even time it", async () => {
    // Its own receiver: the SDK's OTLP metrics are on for this gateway only.
    const collector = await startOtlpReceiver();
    const prod = await productionGateway(
      { OTEL_TRACES_SAMPLER_ARG: "0", OTEL_METRICS_EXPORTER: "otlp", OTEL_METRIC_EXPORT_INTERVAL: "200" },
      collector.url,
    );
    try {
      const ask = (headers: Record<string, string>) =>
        postTo(prod.url, `query NotTimed { bookings(take: 2) { nodes { id } } }`, headers).then((r) => expect(r.status).toBe(200));
      for (let i = 0; i < 5; i++) await ask({}); // declined at the door (ratio 0)
      await ask({ traceparent: traceparent().header }); // the client's sampled trace: instrumented
      await until(
        "the instrumented request's duration",
        () => collector.metrics.some((m) => serverDurationCount(m) > 0) || undefined,
        10_000,
      );
      await sleep(700); // three more export intervals
      expect(Math.max(...collector.metrics.map(serverDurationCount))).toBe(1);
    } finally {
      await prod.stop();
      await collector.close();
    }
  });

  it("reads the door's ratio from the sampler variables the SDK reads", () => {
    expect(doorRatio(samplerDefaults({ NODE_ENV: "production", OTEL_TRACES_SAMPLER_ARG: "0.1" }))).toBe(0.1);
    expect(doorRatio(samplerDefaults({ NODE_ENV: "production" }))).toBeUndefined(); // the budget's, below
    expect(doorRatio({ OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.25" })).toBe(0.25);
    expect(doorRatio({ OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "2" })).toBe(1);
    expect(doorRatio({ OTEL_TRACES_SAMPLER: "parentbased_traceidratio" })).toBe(1);
    expect(doorRatio({ OTEL_TRACES_SAMPLER: "always_off" })).toBe(0);
    expect(doorRatio({ OTEL_TRACES_SAMPLER: "parentbased_always_on" })).toBeUndefined();
    // As the SDK matches names: exactly (it falls back to its default, every trace, for these).
    expect(doorRatio({ OTEL_TRACES_SAMPLER: "ALWAYS_OFF" })).toBeUndefined();
    expect(doorRatio({ OTEL_TRACES_SAMPLER: " traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.5" })).toBeUndefined();
    expect(doorRatio({ OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: " 0.5 " })).toBe(0.5);
    expect(doorRatio({ OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "half" })).toBe(1);
    expect(doorRatio({})).toBeUndefined();
  });

  it("chooses the production sampler only when none is set: the budget, or the share OTEL_TRACES_SAMPLER_ARG names", () => {
    expect(samplerDefaults({ NODE_ENV: "production" })).toEqual({});
    expect(tracesPerSecond({ NODE_ENV: "production" })).toBe(10);
    expect(tracesPerSecond({ NODE_ENV: "production", TRACE_SAMPLES_PER_SECOND: "3" })).toBe(3);
    expect(tracesPerSecond({ NODE_ENV: "production", TRACE_SAMPLES_PER_SECOND: "lots" })).toBe(10); // loadConfig refuses it
    expect(samplerDefaults({ NODE_ENV: "production", OTEL_TRACES_SAMPLER_ARG: "0.25" })).toEqual({
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
    });
    expect(tracesPerSecond({ NODE_ENV: "production", OTEL_TRACES_SAMPLER_ARG: "0.25" })).toBeUndefined();
    expect(samplerDefaults({ NODE_ENV: "production", OTEL_TRACES_SAMPLER: "always_on" })).toEqual({});
    expect(tracesPerSecond({ NODE_ENV: "production", OTEL_TRACES_SAMPLER: "always_on" })).toBeUndefined();
    for (const env of [{ NODE_ENV: "development" }, {}]) {
      expect(samplerDefaults(env)).toEqual({});
      expect(tracesPerSecond(env)).toBeUndefined();
    }
  });

  it("exports traces only: no OTLP metrics unless OTEL_METRICS_EXPORTER asks for them", async () => {
    await sleep(600); // three of the metric exporter's 200 ms intervals, had it been on
    expect([...otlp.paths].sort()).toEqual(["/v1/traces"]);
  });

  it("is off without OTEL_* settings: no trace fields in the log", async () => {
    const plain = await startTestGateway({ databaseName: name });
    try {
      await plain.gql(`{ me { id } }`, {}, key);
      const lines = plain.logLines.filter((l) => l.msg === "graphql request");
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(l.traceId).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});
