import { explainListStatements, type ExplainResult } from "../bench/explain";
import { generateDataset } from "../bench/dataset";
import { floorSql, lastPageRows } from "../bench/floor";
import { createTestDatabase, dropTestDatabase } from "./support/harness";
import { urlForDatabase } from "./support/env";
import { Client } from "pg";
import { BookingOrderField, OrderDirection, orderSql } from "../src/domain/booking/booking-order";

/** A captured page statement's ids and hasNextPage with its offset parameter (29,950, the last page's) set to `offset`. */
async function pageAt(db: Client, p: { sql: string; params: unknown[] }, offset: number) {
  const [row] = (
    await db.query<{ r0: string; more: boolean }>(
      p.sql,
      p.params.map((v) => (v === 29_950 ? offset : v)),
    )
  ).rows;
  return { offset, ids: (JSON.parse(row.r0) as Array<{ id: number }>).map((n) => n.id), more: row.more };
}

/** Plain SQL's page of 50 at `offset` in start-time order, and whether a row follows it. */
async function plainPage(db: Client, offset: number) {
  const want = await db.query<{ id: number }>(`SELECT id FROM "Booking" ORDER BY "startTime", id LIMIT 51 OFFSET ${offset}`);
  return { offset, ids: want.rows.slice(0, 50).map((r) => r.id), more: want.rows.length > 50 };
}

/**
 * The list and count statements the gateway runs for page 1 of 50, per role, on a data set large
 * enough for the planner to prefer indexes (30,000 bookings, 90,000 attendees): no role's scope
 * may be read by scanning the whole "Booking" or "Attendee" table. (The system admin's count covers
 * every row by definition, so only its list statement is held to this.)
 */
describe("query plans", () => {
  let name: string;
  let plans: ExplainResult[];

  beforeAll(async () => {
    name = await createTestDatabase(false);
    await generateDataset(urlForDatabase(name), 30_000);
    plans = await explainListStatements(urlForDatabase(name));
  }, 120_000);
  afterAll(() => dropTestDatabase(name));

  it("captures a list and a count statement for each role", () => {
    expect(plans.map((p) => p.label)).toEqual([
      "system admin: list",
      "system admin: count",
      "system admin: last offset page",
      "organization admin: list",
      "organization admin: count",
      "regular user: list",
      "regular user: count",
    ]);
  });

  it.each(["system admin: list", "organization admin: list", "organization admin: count", "regular user: list", "regular user: count"])(
    "%s reads through indexes, never a full scan of Booking or Attendee",
    (label) => {
      const plan = plans.find((p) => p.label === label)!.plan;
      expect(plan).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
      expect(plan).not.toMatch(/Seq Scan on "?Booking"?(?!Seat)/); // "BookingSeat" is empty in this data set
      expect(plan).not.toMatch(/Seq Scan on "?Attendee"?/);
    },
  );

  it("reads the last offset page from the end through the gateway's index, and the rows a page read forwards skips as ids and sort keys only", async () => {
    const last = plans.find((p) => p.label === "system admin: last offset page")!;
    // The last page (root-fields.ts fromEndRows with ids): the count, then the index backwards for the
    // page's last 50 ids (no row follows them), the forward branch never run.
    expect(last.plan).toMatch(/Index Only Scan Backward using "Booking_startTime_id_idx"[^\n]*actual rows=50(\.00)? /);
    expect(last.plan).toMatch(/Index Only Scan using "Booking_startTime_id_idx"[^\n]*\(never executed\)/);
    // A page below the share of the table where the statement counts ids (20,000 of 30,000, under 0.9;
    // whole rows would be counted from 0.6): read forwards, the rows its OFFSET skips as ids and sort
    // keys, not whole rows.
    expect(last.params.filter((v) => v === 29_950)).toHaveLength(1);
    const db = new Client({ connectionString: urlForDatabase(name) });
    await db.connect();
    try {
      const params = last.params.map((v) => (v === 29_950 ? 20_000 : v));
      const plan = (
        await db.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF) ${last.sql}`, params)
      ).rows.map((r) => r["QUERY PLAN"]);
      // The columns output by each plan node that produces the ~20,000 skipped rows.
      const skipping = plan.flatMap((line, i) => {
        const rows = /actual rows=(\d+)/.exec(line);
        return rows && Number(rows[1]) >= 20_000 ? [plan[i + 1]?.trim() ?? ""] : [];
      });
      expect(skipping.length).toBeGreaterThan(0);
      for (const output of skipping) expect(output).toMatch(/^Output: \S*\.?id, \S*\."startTime"$|^Output: \S*\."startTime", \S*\.id$/);
      expect(plan.join("\n")).toMatch(/Aggregate[^\n]*\(never executed\)/); // nothing counted
      // Through this index, every offset's page and hasNextPage are plain SQL's, read from either end:
      // on either side of the share where ids are counted (0.9 × 30,000), and, with statistics that
      // understate the table a hundredfold (counted from offset 1,000), of the middle
      // (2 × (offset + 51) = 30,000 at 14,949).
      const offsets = [1_000, 14_948, 14_949, 14_950, 18_000, 26_999, 27_000, 29_900, 29_949, 29_950, 29_990, 30_000];
      const pages = async () => {
        for (const offset of offsets) expect(await pageAt(db, last, offset)).toEqual(await plainPage(db, offset));
      };
      await pages();
      await db.query(`UPDATE pg_class SET reltuples = 300 WHERE oid = '"Booking"'::regclass`);
      await pages();
    } finally {
      await db.query(`ANALYZE "Booking"`);
      await db.end();
    }
  });

  it("reads a later page's rows directly in the order of Cal.com's start-time index when the gateway's is missing, with the same answer", async () => {
    const url = urlForDatabase(name);
    const withGatewayIndex = plans.find((p) => p.label === "system admin: last offset page")!;
    const db = new Client({ connectionString: url });
    await db.connect();
    try {
      // As on a Cal.com database the gateway attaches to with DB_MIGRATIONS=off (page-form.ts).
      await db.query(`DROP INDEX "Booking_startTime_id_idx"`);
      await db.query(`ANALYZE "Booking"`);
      const calcomOnly = (await explainListStatements(url)).find((p) => p.label === "system admin: last offset page")!;
      expect(withGatewayIndex.sql).toMatch(/b\.id IN \(SELECT \* FROM \(WITH gw_counted/);
      expect(calcomOnly.sql).not.toMatch(/b\.id IN \(SELECT/);
      // The last page, read from the end (root-fields.ts fromEndRows): Cal.com's index backwards, 51 rows
      // (the page and the one that tells whether another follows), the forward branch never run.
      expect(calcomOnly.plan).toMatch(
        /Incremental Sort[\s\S]*Index Scan using "Booking_startTime_endTime_status_idx"[^\n]*\(never executed\)/,
      );
      expect(calcomOnly.plan).toMatch(/Index Scan Backward using "Booking_startTime_endTime_status_idx"[^\n]*actual rows=51(\.00)? /);
      expect(calcomOnly.plan).not.toMatch(/Sort Method: external/);
      expect(calcomOnly.plan).not.toMatch(/JIT:/); // the page's JSON priced for 51 rows, not a tenth of the table
      // Ties on the start time within the page, broken by id in both forms: the last 20 bookings take
      // the start time of the one before them (the data set's start times are otherwise all distinct).
      await db.query(
        `UPDATE "Booking" SET "startTime" = (SELECT "startTime" FROM "Booking" ORDER BY "startTime" DESC, id DESC LIMIT 1 OFFSET 20)
          WHERE id IN (SELECT id FROM "Booking" ORDER BY "startTime" DESC, id DESC LIMIT 20)`,
      );
      const answer = async (p: { sql: string; params: unknown[] }) => (await db.query<{ r0: string }>(p.sql, p.params)).rows[0].r0;
      const direct = await answer(calcomOnly);
      expect(direct).toEqual(await answer(withGatewayIndex));
      const nodes = (JSON.parse(direct) as Array<{ id: number; startTime: string }>).map((n) => [n.startTime, n.id] as const);
      const tied = nodes.filter(([start]) => start === nodes[nodes.length - 1][0]);
      expect(tied.length).toBe(21);
      expect(tied.map(([, id]) => id)).toEqual(tied.map(([, id]) => id).sort((a, b) => a - b));

      // Any offset gives the same page (and hasNextPage) as the ids-first form and as plain SQL: below
      // the share of the table where the statement counts (forwards), past the middle (backwards), on
      // either side of the middle (2 × (offset + 51) = 30,000 at 14,949), the last partial page,
      // past the end; with statistics that understate the table (the count taken, the page in the
      // first part of the list: forwards); and on a table never analyzed (nothing counted: forwards).
      // The offset is the one parameter whose value is the last page's.
      expect(calcomOnly.params.filter((v) => v === 29_950)).toHaveLength(1);
      expect(withGatewayIndex.params.filter((v) => v === 29_950)).toHaveLength(1);
      const pages = async () => {
        for (const offset of [1_000, 14_948, 14_949, 14_950, 17_950, 18_000, 24_000, 29_950, 29_990, 30_000, 45_000]) {
          const expected = await plainPage(db, offset);
          expect(await pageAt(db, calcomOnly, offset)).toEqual(expected);
          expect(await pageAt(db, withGatewayIndex, offset)).toEqual(expected);
        }
      };
      await pages();
      await db.query(`UPDATE pg_class SET reltuples = 1000 WHERE oid = '"Booking"'::regclass`);
      await pages();
      await db.query(`UPDATE pg_class SET reltuples = -1, relpages = 0 WHERE oid = '"Booking"'::regclass`);
      await pages();
      const explain = async (p: { sql: string; params: unknown[] }) =>
        (await db.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, TIMING OFF) ${p.sql}`, p.params)).rows
          .map((r) => r["QUERY PLAN"])
          .join("\n");
      const neverAnalyzed = await explain(calcomOnly);
      expect(neverAnalyzed).toMatch(/Aggregate[^\n]*\(never executed\)\n\s*-> {2}[^\n]*Scan[^\n]* on "Booking"[^\n]*\(never executed\)/);
      expect(neverAnalyzed).toMatch(/Index Scan using "Booking_startTime_endTime_status_idx"[^\n]*actual rows=30000(\.00)? /);
      // Statistics taken when the table was ten times as large (300,000 rows in ten times its pages):
      // estimated from the pages it has now (30,000 rows), so the last page is counted and read backwards.
      await db.query(
        `UPDATE pg_class SET reltuples = 300000, relpages = pg_relation_size(oid) / current_setting('block_size')::int * 10 WHERE oid = '"Booking"'::regclass`,
      );
      expect(await explain(calcomOnly)).toMatch(
        /Index Scan Backward using "Booking_startTime_endTime_status_idx"[^\n]*actual rows=51(\.00)? /,
      );
      await pages();
    } finally {
      await db.query(`CREATE INDEX IF NOT EXISTS "Booking_startTime_id_idx" ON "Booking"("startTime", "id")`);
      await db.query(`ANALYZE "Booking"`);
      await db.end();
    }
  }, 60_000);

  it("reverses every sort order exactly, nulls and ties included (orderSql reversed, used by pages read from the end)", async () => {
    const db = new Client({ connectionString: urlForDatabase(name) });
    await db.connect();
    try {
      // Ties on every field and null updatedAt values, in a copy of 2,000 bookings.
      await db.query(`CREATE TEMP TABLE "Booking" AS SELECT * FROM public."Booking" ORDER BY id LIMIT 2000`);
      await db.query(`UPDATE "Booking" SET "updatedAt" = NULL WHERE id % 3 = 0`);
      await db.query(`UPDATE "Booking" SET "startTime" = date_trunc('month', "startTime"), "endTime" = date_trunc('month', "endTime"),
                        "createdAt" = date_trunc('year', "createdAt"), "updatedAt" = date_trunc('year', "updatedAt")`);
      for (const field of Object.values(BookingOrderField))
        for (const direction of Object.values(OrderDirection)) {
          const ids = async (reversed: boolean) =>
            (
              await db.query<{ id: number }>(`SELECT b.id FROM "Booking" b ORDER BY ${orderSql({ field, direction }, "b", reversed)}`)
            ).rows.map((r) => r.id);
          expect({ field, direction, ids: await ids(true) }).toEqual({ field, direction, ids: (await ids(false)).reverse() });
        }
    } finally {
      await db.end();
    }
  });

  it("gives the bench floor's last page read from the end (bench/floor.ts lastPageRows) as plain SQL's page, without JIT", async () => {
    const db = new Client({ connectionString: urlForDatabase(name) });
    await db.connect();
    try {
      for (const offset of [0, 15_000, 29_900, 29_950, 29_990, 30_000]) {
        const sql = floorSql(lastPageRows(offset));
        const body = JSON.parse((await db.query<{ body: string }>(sql)).rows[0].body) as {
          data: { bookings: { nodes: Array<{ id: number }> } };
        };
        const want = await db.query<{ id: number }>(`SELECT id FROM "Booking" ORDER BY "startTime", id LIMIT 50 OFFSET ${offset}`);
        expect({ offset, ids: body.data.bookings.nodes.map((n) => n.id) }).toEqual({ offset, ids: want.rows.map((r) => r.id) });
      }
      const plan = (await db.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE) ${floorSql(lastPageRows(29_950))}`)).rows;
      expect(plan.map((r) => r["QUERY PLAN"]).join("\n")).not.toMatch(/JIT:/);
    } finally {
      await db.end();
    }
  });

  it("runs each role's list as one statement, the relations built inside it", () => {
    for (const p of plans.filter((x) => x.label.endsWith(": list"))) {
      expect(p.sql).toMatch(/string_agg/); // attendees etc. as JSON text subqueries of the same statement (src/read-path/json-sql.ts)
    }
  });
});
