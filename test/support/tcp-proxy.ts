import net from "node:net";

/**
 * A TCP proxy the test controls, placed between a client (the gateway) and a server (Postgres), to
 * produce network faults on demand:
 * - "pass": bytes flow both ways;
 * - "blackhole": a network partition. Sockets stay open, no RST, no FIN, and every byte in either
 *   direction is dropped (not buffered: what a partition does to a packet is lose it). New
 *   connections are accepted by the kernel but left pending, unread and not forwarded, until the
 *   mode changes (their bytes then flow, as retransmissions would after the partition heals);
 * - "reset": every current socket, on both sides, is reset (RST) and new ones are reset at once;
 * - "delay": bytes flow with `ms` of added latency per chunk (order is kept).
 *
 * Limits of a user-space proxy: the proxy's own kernel still acknowledges the client's segments and
 * TCP keepalive probes during a "blackhole", so the client's keepalive never notices the partition;
 * only its own deadlines (statement timeout, query timeout) can. A connection whose peer closed
 * during a "blackhole" is reset on both sides when the partition heals, as the peer's kernel would
 * answer the first retransmission with RST.
 */
export type ProxyMode = "pass" | "blackhole" | "reset" | "delay";

export interface TcpProxy {
  /** The port the proxy listens on, on 127.0.0.1. */
  readonly port: number;
  readonly mode: ProxyMode;
  setMode(mode: "delay", options: { ms: number }): void;
  setMode(mode: Exclude<ProxyMode, "delay">): void;
  /** Client connections currently open (forwarded or pending). */
  connections(): number;
  /** Stops listening and destroys every socket. */
  close(): Promise<void>;
}

/** Where to forward, one direction: outgoing writes are scheduled so a delay never reorders bytes. */
interface Direction {
  to: net.Socket;
  lastAt: number; // when the latest scheduled delivery runs (ms since epoch)
}

interface Pair {
  client: net.Socket;
  upstream?: net.Socket; // absent while the connection is pending (accepted during a blackhole)
  lost: boolean; // a FIN or RST was dropped by a blackhole: the connection is broken once it heals
}

export async function startTcpProxy(options: { targetHost: string; targetPort: number }): Promise<TcpProxy> {
  let mode: ProxyMode = "pass";
  let delayMs = 0;
  const pairs = new Set<Pair>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const reset = (socket: net.Socket | undefined) => {
    if (socket && !socket.destroyed) socket.resetAndDestroy();
  };
  const resetPair = (pair: Pair) => {
    reset(pair.client);
    reset(pair.upstream);
    pairs.delete(pair);
  };

  /** Runs `action` (a write, end or reset towards `dir.to`) when and if the current mode lets it through. */
  const deliver = (pair: Pair, dir: Direction, action: () => void, kind: "data" | "close") => {
    const attempt = () => {
      if (mode === "blackhole" || mode === "reset") {
        if (kind === "close") pair.lost = true;
        return;
      }
      if (!dir.to.destroyed) action();
    };
    const now = Date.now();
    const at = Math.max(now + (mode === "delay" ? delayMs : 0), dir.lastAt);
    if (at <= now || mode === "blackhole" || mode === "reset") return attempt();
    dir.lastAt = at;
    // Checked again when it runs: a partition that starts while bytes are in flight loses them too.
    const timer = setTimeout(() => {
      timers.delete(timer);
      attempt();
    }, at - now);
    timers.add(timer);
  };

  /** Forwards `from` to `to` through `deliver`, with back-pressure in both directions. */
  const link = (pair: Pair, from: net.Socket, to: net.Socket) => {
    const dir: Direction = { to, lastAt: 0 };
    let waiting = false;
    from.on("data", (chunk: Buffer) => {
      deliver(
        pair,
        dir,
        () => {
          if (!to.write(chunk) && !waiting) {
            waiting = true;
            from.pause();
            to.once("drain", () => {
              waiting = false;
              from.resume();
            });
          }
        },
        "data",
      );
    });
    from.on("end", () => deliver(pair, dir, () => to.end(), "close"));
    from.on("close", (hadError) => {
      // An RST (or any socket error) is passed on as an RST; a clean close already sent its FIN.
      deliver(pair, dir, () => (hadError ? to.resetAndDestroy() : to.end()), "close");
      if (pair.client.destroyed && (!pair.upstream || pair.upstream.destroyed)) pairs.delete(pair);
    });
  };

  const connectUpstream = (pair: Pair) => {
    const upstream = net.connect({ host: options.targetHost, port: options.targetPort, allowHalfOpen: true });
    upstream.on("error", () => undefined); // surfaces as 'close' with hadError, handled in link()
    upstream.setNoDelay(true);
    pair.upstream = upstream;
    link(pair, pair.client, upstream);
    link(pair, upstream, pair.client);
  };

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    client.on("error", () => undefined); // surfaces as 'close' with hadError, handled in link()
    if (closed || mode === "reset") return void client.resetAndDestroy();
    client.setNoDelay(true);
    const pair: Pair = { client, lost: false };
    pairs.add(pair);
    client.on("close", () => {
      if (!pair.upstream) pairs.delete(pair);
    });
    if (mode === "blackhole") return; // pending: unread, not forwarded, until the partition heals
    connectUpstream(pair);
    client.resume();
  });
  server.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  function setMode(next: ProxyMode, opts?: { ms: number }): void {
    if (next === "delay") {
      if (!opts || !(opts.ms >= 0)) throw new Error('setMode("delay") needs { ms } >= 0');
      delayMs = opts.ms;
    }
    mode = next;
    for (const pair of [...pairs]) {
      if (next === "reset" || pair.lost) resetPair(pair);
      else if (next !== "blackhole" && !pair.upstream && !pair.client.destroyed) {
        connectUpstream(pair); // a connection accepted during the partition starts now
        pair.client.resume();
      }
    }
  }

  return {
    port,
    get mode() {
      return mode;
    },
    setMode: setMode,
    connections: () => [...pairs].filter((p) => !p.client.destroyed).length,
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const pair of [...pairs]) {
          pair.client.destroy();
          pair.upstream?.destroy();
        }
        pairs.clear();
        server.close(() => resolve());
      }),
  };
}

/** `url` (a postgres:// or redis:// URL) with its host and port replaced by the proxy's. */
export function throughProxy(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.hostname = "127.0.0.1";
  parsed.port = String(proxy.port);
  return parsed.toString();
}
