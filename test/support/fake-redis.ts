import net from "node:net";

/**
 * A Redis that hangs, for the rule "every Redis call is bounded": a TCP server on 127.0.0.1 that
 * accepts connections and never answers.
 *
 * With `handshake: true` it answers what ioredis 5 sends on connect (AUTH, SELECT, CLIENT SETNAME /
 * SETINFO: `+OK`; INFO, its ready check: a bulk string with `loading:0`), so the client becomes
 * "ready", and then hangs on every other command: a Redis that connected fine and then hung. Without
 * it the client never gets past its ready check (with `enableOfflineQueue: false`, commands then fail
 * at once instead of hanging).
 */
export interface HungRedis {
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Every command received so far, as its arguments (`["GET", "key"]`), answered or not. */
  commands(): string[][];
  /** Client connections currently open. */
  connections(): number;
  /** Stops listening and destroys every client socket. */
  close(): Promise<void>;
}

const bulk = (text: string) => `$${Buffer.byteLength(text)}\r\n${text}\r\n`;

/** The handshake commands answered in `handshake` mode (upper-cased command name). */
const HANDSHAKE: Record<string, string> = {
  AUTH: "+OK\r\n",
  SELECT: "+OK\r\n",
  CLIENT: "+OK\r\n", // SETNAME, SETINFO LIB-NAME / LIB-VER
  INFO: bulk("# Server\r\nredis_version:7.2.0\r\nredis_mode:standalone\r\n# Persistence\r\nloading:0\r\n"),
};

export async function startHungRedis(options: { handshake?: boolean } = {}): Promise<HungRedis> {
  const sockets = new Set<net.Socket>();
  const received: string[][] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    let buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const parsed = parseCommand(buffer);
        if (!parsed) break;
        buffer = buffer.subarray(parsed.length);
        if (parsed.args.length === 0) continue;
        received.push(parsed.args);
        const answer = options.handshake ? HANDSHAKE[parsed.args[0]?.toUpperCase() ?? ""] : undefined;
        if (answer) socket.write(answer);
      }
    });
  });
  server.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    commands: () => received.map((c) => [...c]),
    connections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * One RESP command (an array of bulk strings, as every client sends) from the start of `buffer`:
 * its arguments and how many bytes it took, or undefined while incomplete. Anything else (inline
 * commands) is skipped a line at a time, unanswered.
 */
export function parseCommand(buffer: Buffer): { args: string[]; length: number } | undefined {
  const lineEnd = (from: number) => {
    const i = buffer.indexOf("\r\n", from);
    return i < 0 ? undefined : i;
  };
  const first = lineEnd(0);
  if (first === undefined) return undefined;
  if (buffer[0] !== 0x2a /* '*' */) return { args: [], length: first + 2 };
  const count = Number(buffer.toString("latin1", 1, first));
  let offset = first + 2;
  const args: string[] = [];
  for (let i = 0; i < count; i++) {
    const end = lineEnd(offset);
    if (end === undefined) return undefined;
    const size = Number(buffer.toString("latin1", offset + 1, end));
    const start = end + 2;
    if (buffer.length < start + size + 2) return undefined;
    args.push(buffer.toString("utf8", start, start + size));
    offset = start + size + 2;
  }
  return { args, length: offset };
}
