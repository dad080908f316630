import http from "node:http";
import type { AddressInfo } from "node:net";
import { createClient, type Client } from "graphql-ws";
import { Client as PgClient } from "pg";
import WebSocket from "ws";
import { processMemory } from "./proc-memory";
import { percentile } from "./percentile";

/**
 * Booking-event delivery measured end to end between two gateway processes on one database:
 * (1) latency from a createBooking's answer on instance A (its commit) to the event reaching a
 * subscriber on instance B, and to its webhook request reaching a receiver (delivered by the
 * webhook worker of either instance), over `events` bookings made one at a time; (2) the resident memory of
 * instance B holding `idle` idle subscriptions (20 per WebSocket connection, the per-connection cap).
 */
type Latency = { p50: number; p99: number; max: number; samples: number; missing: number };

export interface SubscriptionResult {
  latencyMs: Latency;
  /** Commit on A to the webhook request at a receiver (delivered by either instance's worker). */
  webhookLatencyMs: Latency;
  /** Commit on A to the subscriber on B while the idle subscriptions are open on B. */
  loadedLatencyMs: Latency;
  idle: { subscriptions: number; rssBeforeMb: number; rssAfterMb: number; deltaMb: number } | { reason: string };
}

const SUBSCRIBE = `subscription($after: String, $ids: [Int!]) { bookingEvents(after: $after, filter: { bookingIds: $ids }) { bookingId } }`;

function client(port: number, key: string): Client {
  return createClient({
    url: `ws://127.0.0.1:${port}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: 0,
    lazy: false,
  });
}

async function gql<T>(port: number, key: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: T; errors?: unknown[] };
}

/** Bookings made while the idle subscriptions are open. */
const LOADED_EVENTS = 20;

export async function runSubscriptionScenario(options: {
  portA: number;
  portB: number;
  pidB: number;
  adminKey: string;
  idleKey: string;
  /** Makes one booking on instance A and answers its id. */
  book: (i: number) => Promise<number>;
  events: number;
  idle: number;
  /** Webhooks: one `"Webhook"` row per event type in `webhookEventTypeIds`, to a receiver in this process. */
  databaseUrl: string;
  webhookEventTypeIds: number[];
}): Promise<SubscriptionResult> {
  const { portA, portB, pidB, adminKey, idleKey, book } = options;
  const hooked = new Map<number, number>();
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const at = performance.now();
      try {
        const id = (JSON.parse(Buffer.concat(chunks).toString()) as { payload: { bookingId: number } }).payload.bookingId;
        if (!hooked.has(id)) hooked.set(id, at);
      } catch {
        /* not ours */
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const pg = new PgClient({ connectionString: options.databaseUrl });
  await pg.connect();
  await pg.query(
    `INSERT INTO "Webhook" (id, "eventTypeId", "subscriberUrl", "eventTriggers", secret)
     SELECT 'bench-' || et, et, $2, ARRAY['BOOKING_CREATED', 'BOOKING_REQUESTED']::"WebhookTriggerEvents"[], 'bench-secret' FROM unnest($1::int[]) et
     ON CONFLICT (id) DO NOTHING`,
    [options.webhookEventTypeIds, `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`],
  );
  // Start at the feed's end (the horizon cursor a full drain answers).
  let after: string | null = null;
  for (;;) {
    const page: { data?: { bookingEvents: { endCursor: string; hasNextPage: boolean } } } = await gql(
      portA,
      adminKey,
      `query($a: String) { bookingEvents(after: $a, first: 250) { endCursor hasNextPage } }`,
      { a: after },
    );
    after = page.data!.bookingEvents.endCursor;
    if (!page.data!.bookingEvents.hasNextPage) break;
  }
  const arrived = new Map<number, number>();
  const listener = client(portB, adminKey);
  listener.subscribe<{ bookingEvents: { bookingId: number } }>(
    { query: SUBSCRIBE, variables: { after } },
    {
      next: (r) => {
        const id = r.data?.bookingEvents.bookingId;
        if (id != null && !arrived.has(id)) arrived.set(id, performance.now());
      },
      error: () => undefined,
      complete: () => undefined,
    },
  );
  await new Promise((r) => setTimeout(r, 1_000));
  const committed = new Map<number, number>();
  for (let i = 0; i < options.events; i += 1) {
    const id = await book(i);
    committed.set(id, performance.now());
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 3_000));
  await pg.query(`DELETE FROM "Webhook" WHERE id LIKE 'bench-%'`);
  await pg.end();
  receiver.closeAllConnections();
  receiver.close();
  const latencies = [...committed].flatMap(([id, t]) => (arrived.has(id) ? [arrived.get(id)! - t] : [])).sort((x, y) => x - y);
  const hookLatencies = [...committed].flatMap(([id, t]) => (hooked.has(id) ? [hooked.get(id)! - t] : [])).sort((x, y) => x - y);
  const summary = (list: number[]): Latency => ({
    p50: Math.round(percentile(list, 0.5)),
    p99: Math.round(percentile(list, 0.99)),
    max: Math.round(list[list.length - 1] ?? 0),
    samples: list.length,
    missing: committed.size - list.length,
  });

  const loaded = new Map<number, number>();
  const before = processMemory(pidB);
  let idle: SubscriptionResult["idle"];
  if ("reason" in before) idle = { reason: before.reason };
  else {
    const clients: Client[] = [];
    for (let c = 0; c < Math.ceil(options.idle / 20); c += 1) {
      const ws = client(portB, idleKey);
      clients.push(ws);
      for (let s = 0; s < 20 && c * 20 + s < options.idle; s += 1) {
        ws.subscribe(
          { query: SUBSCRIBE, variables: { after, ids: [-1 - s] } },
          { next: () => undefined, error: () => undefined, complete: () => undefined },
        );
      }
    }
    await new Promise((r) => setTimeout(r, 5_000));
    const after2 = processMemory(pidB);
    // The same latency with the idle subscriptions open: every wake-up costs each of them a read.
    for (let i = 0; i < LOADED_EVENTS; i += 1) {
      const id = await book(options.events + i);
      loaded.set(id, performance.now());
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 3_000));
    const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
    idle =
      "reason" in after2
        ? { reason: after2.reason }
        : {
            subscriptions: options.idle,
            rssBeforeMb: mb(before.rssBytes),
            rssAfterMb: mb(after2.rssBytes),
            deltaMb: mb(after2.rssBytes - before.rssBytes),
          };
    for (const c of clients) await c.dispose();
  }
  await listener.dispose();
  const loadedLatencies = [...loaded].flatMap(([id, t]) => (arrived.has(id) ? [arrived.get(id)! - t] : [])).sort((x, y) => x - y);
  return {
    latencyMs: summary(latencies),
    webhookLatencyMs: summary(hookLatencies),
    loadedLatencyMs: { ...summary(loadedLatencies), missing: loaded.size - loadedLatencies.length },
    idle,
  };
}
