import { Client } from "pg";
import { UserPermissionRole } from "../src/entities";
import { urlForDatabase } from "./support/env";
import { createViewer } from "./support/factories";
import { createTestDatabase, dropTestDatabase, startTestGateway, type TestGateway } from "./support/harness";

/** STATEMENT_TIMEOUT_MS and REQUEST_TIMEOUT_MS: coded TIMEOUT answers, and no work left running. */
describe("timeouts", () => {
  let name: string;
  let key: string;
  const gateways: TestGateway[] = [];
  // A count over 300,000 rows: tens of milliseconds (paged: an unpaged list of that many is refused, MAX_UNPAGED_BOOKINGS).
  const slow = `{ bookings(take: 1) { totalCount } }`;

  beforeAll(async () => {
    name = await createTestDatabase();
    // Seeding 300,000 rows may itself take longer than the default statement timeout on a slow machine.
    // (REQUEST_TIMEOUT_MS caps the statement timeout too: off as well.)
    const seeding = await startTestGateway({ databaseName: name, env: { STATEMENT_TIMEOUT_MS: "0", REQUEST_TIMEOUT_MS: "0" } });
    key = (await createViewer(seeding.dataSource, { role: UserPermissionRole.ADMIN })).key;
    await seeding.dataSource.query(
      `INSERT INTO "Booking" (uid, title, "startTime", "endTime") SELECT 'slow-' || g, 't', now(), now() FROM generate_series(1, 300000) g`,
    );
    await seeding.close();
  });
  afterAll(async () => {
    for (const gw of gateways) await gw.close();
    await dropTestDatabase(name);
  });

  const start = async (env: Record<string, string>) => {
    const gw = await startTestGateway({ databaseName: name, env: { API_KEY_CACHE_SECONDS: "60", ...env } });
    gateways.push(gw);
    return gw;
  };
  /**
   * Request statements (reading "Booking") still running in the test database, seen from a connection
   * of the test's own: the gateway's data source runs under the very statement timeout being tested
   * (5 ms), so a probe through it could itself be cancelled. The gateways' background work (webhook
   * queue, event bus, retention) reads other tables and once, on a loaded CI machine, was caught
   * active here. Their texts, so a failure says what was left running.
   */
  const activeStatements = async () => {
    const probe = new Client({ connectionString: urlForDatabase(name), application_name: "timeouts-probe" });
    await probe.connect();
    try {
      const { rows } = await probe.query(
        `SELECT left(query, 200) AS query FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()
           AND query LIKE '%"Booking"%'`,
      );
      return rows.map((r: { query: string }) => r.query);
    } finally {
      await probe.end();
    }
  };

  it("answers a statement over STATEMENT_TIMEOUT_MS with TIMEOUT (HTTP 504)", async () => {
    const gw = await start({ STATEMENT_TIMEOUT_MS: "5" });
    const res = await gw.gql(slow, {}, key);
    expect(res.status).toBe(504);
    expect(res.body.errors?.[0].extensions?.code).toBe("TIMEOUT");
    expect(JSON.stringify(res.body)).not.toMatch(/canceling statement|SELECT/);
    expect(await activeStatements()).toEqual([]);
  });

  it("answers a request over REQUEST_TIMEOUT_MS with TIMEOUT (HTTP 504) and leaves no statement running", async () => {
    const gw = await start({ STATEMENT_TIMEOUT_MS: "0", REQUEST_TIMEOUT_MS: "10" });
    const res = await gw.gql(slow, {}, key);
    expect(res.status).toBe(504);
    expect(res.body.errors?.[0].extensions?.code).toBe("TIMEOUT");
    await new Promise((r) => setTimeout(r, 200));
    expect(await activeStatements()).toEqual([]);
  });

  it("lets the same request through with the default limits", async () => {
    const gw = await start({});
    const res = await gw.gql(slow, {}, key);
    expect(res.status).toBe(200);
    expect(res.body.data!.bookings.totalCount).toBeGreaterThanOrEqual(300000);
  });
});
