// A separate embedded PostgreSQL in its own process (jest's module sandbox cannot load the
// ESM-only binaries package). Usage: node postgres-process.js <dataDir> <port>; prints the URL on
// stdout, stops cleanly on SIGTERM. Runs from the build (npm test builds first).
const path = require("node:path");
const { startEmbeddedPostgres } = require(path.join(__dirname, "..", "..", "dist", "src", "db", "embedded-postgres.js"));
const { createLogger } = require(path.join(__dirname, "..", "..", "dist", "src", "logger.js"));
startEmbeddedPostgres({ dataDir: process.argv[2], port: Number(process.argv[3] || 0), logger: createLogger("warn"), durable: false })
  .then((db) => {
    process.stdout.write(db.url + "\n");
    process.on("SIGTERM", () => db.stop().then(() => process.exit(0)));
    setInterval(() => undefined, 1 << 30);
  })
  .catch((err) => {
    process.stderr.write(String(err && err.message) + "\n");
    process.exit(1);
  });
