import { explainListStatements, type ExplainResult } from "../bench/explain";
import { generateDataset } from "../bench/dataset";
import { createTestDatabase, dropTestDatabase } from "./support/harness";
import { urlForDatabase } from "./support/env";

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

  it("runs each role's list as one statement, the relations built inside it", () => {
    for (const p of plans.filter((x) => x.label.endsWith(": list"))) {
      expect(p.sql).toMatch(/string_agg/); // attendees etc. as JSON text subqueries of the same statement (src/read-path/json-sql.ts)
    }
  });
});
