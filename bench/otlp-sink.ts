import http from "node:http";

/**
 * The tracing scenario's OTLP/HTTP receiver, a process of its own (`node dist/bench/otlp-sink.js`):
 * answers every export and counts them. Inside the load generator, receiving the traced instances'
 * exports (hundreds of MB in a run) took event-loop time from autocannon during other variants'
 * rounds. Prints `otlp sink ready on port N`; `GET /stats` answers `{ requests, bytes }`.
 */
if (require.main === module) {
  let requests = 0;
  let bytes = 0;
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/stats") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ requests, bytes }));
      return;
    }
    req.on("data", (c: Buffer) => (bytes += c.length));
    req.on("end", () => {
      requests += 1;
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  server.listen(0, "127.0.0.1", () => console.log(`otlp sink ready on port ${(server.address() as { port: number }).port}`));
  process.once("SIGTERM", () => server.close(() => process.exit(0)));
}
