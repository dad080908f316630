import "reflect-metadata";
import { runMemoryScenario, type MemoryReport } from "../bench/memory";
import { createDataSource } from "../src/db/data-source";
import { UserPermissionRole } from "../src/entities";
import { adminUrl, urlForDatabase } from "./support/env";
import { createBooking, createViewer } from "./support/factories";
import { startGatewayProcess, type GatewayProcess } from "./support/gateway-process";
import { createTestDatabase, dropTestDatabase } from "./support/harness";
import { NODE_FLAGS } from "../src/node-flags";

/**
 * Memory stays bounded whatever clients send (contract, "Robustness: faults"): thousands of distinct
 * operations (every query text different, literal ids) and thousands of distinct pages, against the
 * built gateway as a real process started as the README says. The process's resident memory must
 * stay under 350 MB and stop growing; each database connection's own memory (Pss_Anon of its
 * backend) under 50 MB. CI runs MEMORY_TEST_OPERATIONS (default 24,000) and MEMORY_TEST_PAGES
 * (default 5,000); `npm run bench` runs 50,000 operations.
 */
const OPERATIONS = Number(process.env.MEMORY_TEST_OPERATIONS ?? 24_000);
const PAGES = Number(process.env.MEMORY_TEST_PAGES ?? 5_000);

describe("memory bounds (real process)", () => {
  let name: string;
  let gateway: GatewayProcess;
  let report: MemoryReport;

  beforeAll(async () => {
    name = await createTestDatabase();
    const ds = createDataSource({ url: urlForDatabase(name), poolSize: 2 });
    await ds.initialize();
    const { user, key } = await createViewer(ds, { role: UserPermissionRole.ADMIN });
    const bookingIds: number[] = [];
    for (let i = 0; i < 60; i += 1) {
      const booking = await createBooking(ds, {
        userId: user.id,
        startTime: new Date(Date.UTC(2031, 0, 1 + i, 9)),
        attendees: [{ email: `m${i}@example.test` }],
      });
      bookingIds.push(booking.id);
    }
    await ds.destroy();
    gateway = await startGatewayProcess({
      nodeArgs: [...NODE_FLAGS],
      env: {
        DATABASE_URL: urlForDatabase(name),
        DB_MIGRATIONS: "off",
        LOG_LEVEL: "warn",
        RATE_LIMIT_PER_MINUTE: "0",
        NODE_ENV: "production",
      },
    });
    report = await runMemoryScenario({
      url: gateway.url,
      pid: gateway.pid,
      key,
      bookingIds,
      operations: OPERATIONS,
      pages: PAGES,
      adminUrl: adminUrl(),
      databaseName: name,
      sampleEvery: 1_000,
    });
    console.log(
      `[memory] ${OPERATIONS} operations + ${PAGES} pages in ${report.seconds.toFixed(0)} s; RSS MB by requests:`,
      report.samples.map((s) => `${s.phase[0]}${s.done}:${s.rssMb}`).join(" "),
      "; backends Pss_Anon MB:",
      report.backends.map((b) => b.pssAnonMb ?? b.reason).join(" "),
    );
  }, 600_000);

  afterAll(async () => {
    await gateway?.stop();
    await dropTestDatabase(name);
  });

  it("answers every request", () => {
    expect(report.firstFailures).toEqual([]);
    expect(report.failures).toBe(0);
  });

  it("stays under 350 MB resident", () => {
    expect(Math.max(...report.samples.map((s) => s.rssMb))).toBeLessThan(350);
  });

  it("stops growing: the last half of the distinct operations adds little", () => {
    const operations = report.samples.filter((s) => s.phase === "operations");
    const half = operations.find((s) => s.done >= OPERATIONS / 2)!;
    const last = operations[operations.length - 1];
    // Caches are full well before half-way (document store ~3,000 texts, compiled documents 500).
    expect(last.rssMb - half.rssMb).toBeLessThan(40);
  });

  it("keeps each database connection's own memory under 50 MB after the distinct pages", () => {
    const readable = report.backends.filter((b) => b.pssAnonMb !== undefined);
    if (readable.length === 0) {
      console.warn(`[memory] backend memory not readable here: ${report.backends.map((b) => b.reason).join("; ")}`);
      return;
    }
    for (const backend of readable) expect(backend.pssAnonMb).toBeLessThan(50);
  });
});
