import http from "node:http";
import type { AddressInfo } from "node:net";
import type { AnyJson } from "./json";

/**
 * A real HTTP receiver on 127.0.0.1 for webhook tests: records every request (path, headers, raw
 * body, arrival time) and answers per path with a scripted list of behaviours (a status code, or
 * "hang": never answer), the last one repeating.
 */
export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: { triggerEvent: string; createdAt: string; payload: Record<string, AnyJson> };
  at: number;
}

export type Behaviour = number | "hang" | { status: number; headers: Record<string, string> };

export interface WebhookReceiver {
  url: string;
  received: Received[];
  on(path: string, behaviours: Behaviour[]): void;
  at(path: string): Received[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const scripts = new Map<string, Behaviour[]>();
  const served = new Map<string, number>();
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "/";
      let json: Received["json"];
      try {
        json = JSON.parse(body) as Received["json"];
      } catch {
        json = { triggerEvent: "", createdAt: "", payload: {} };
      }
      received.push({ path, headers: req.headers, body, json, at: Date.now() });
      const script = scripts.get(path) ?? [200];
      const n = served.get(path) ?? 0;
      served.set(path, n + 1);
      const behaviour = script[Math.min(n, script.length - 1)];
      if (behaviour === "hang") {
        hanging.add(res);
        return;
      }
      if (typeof behaviour === "number") res.writeHead(behaviour).end("ok");
      else res.writeHead(behaviour.status, behaviour.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    on: (path, behaviours) => {
      scripts.set(path, behaviours);
      served.set(path, 0);
    },
    at: (path) => received.filter((r) => r.path === path),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
