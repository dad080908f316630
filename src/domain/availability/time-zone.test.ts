import { Client } from "pg";
import { addDays, localDate, offsetMinutes, startOfLocalDay, wallToInstant, weekdayOf } from "./time-zone";

/**
 * Local ↔ UTC with Postgres's rule (domain.md "Availability"): a wall time in a spring-forward gap is
 * read with the offset in force before the change (it moves forward), an ambiguous fall-back time is
 * the later instant. Every expected instant below is written out by hand from the zones' rules:
 *   Europe/Berlin     2026-03-29 01:00Z  +01:00 → +02:00 (02:00 CET → 03:00 CEST)
 *                     2026-10-25 01:00Z  +02:00 → +01:00 (03:00 CEST → 02:00 CET)
 *   America/New_York  2026-03-08 07:00Z  −05:00 → −04:00 (02:00 EST → 03:00 EDT)
 *                     2026-11-01 06:00Z  −04:00 → −05:00 (02:00 EDT → 01:00 EST)
 *   Asia/Kolkata +05:30, Asia/Kathmandu +05:45 all year.
 * The process runs in America/New_York (jest.config.js); nothing here may depend on it.
 */

const iso = (ms: number) => new Date(ms).toISOString();
const at = (text: string) => Date.parse(text);
const hm = (text: string) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));

describe("wallToInstant", () => {
  it.each([
    // Berlin, spring forward (2026-03-29).
    ["2026-03-29", "00:00", "Europe/Berlin", "2026-03-28T23:00:00.000Z"],
    ["2026-03-29", "01:59", "Europe/Berlin", "2026-03-29T00:59:00.000Z"],
    ["2026-03-29", "02:00", "Europe/Berlin", "2026-03-29T01:00:00.000Z"], // gap: read with +01 → 03:00 CEST
    ["2026-03-29", "02:30", "Europe/Berlin", "2026-03-29T01:30:00.000Z"], // gap: 03:30 CEST
    ["2026-03-29", "02:59", "Europe/Berlin", "2026-03-29T01:59:00.000Z"], // gap
    ["2026-03-29", "03:00", "Europe/Berlin", "2026-03-29T01:00:00.000Z"],
    ["2026-03-29", "09:00", "Europe/Berlin", "2026-03-29T07:00:00.000Z"],
    ["2026-03-28", "09:00", "Europe/Berlin", "2026-03-28T08:00:00.000Z"],
    ["2026-03-30", "09:00", "Europe/Berlin", "2026-03-30T07:00:00.000Z"],
    // Berlin, fall back (2026-10-25): 02:00–02:59 happen twice.
    ["2026-10-25", "00:00", "Europe/Berlin", "2026-10-24T22:00:00.000Z"],
    ["2026-10-25", "01:59", "Europe/Berlin", "2026-10-24T23:59:00.000Z"],
    ["2026-10-25", "02:00", "Europe/Berlin", "2026-10-25T01:00:00.000Z"], // ambiguous: later (CET)
    ["2026-10-25", "02:30", "Europe/Berlin", "2026-10-25T01:30:00.000Z"], // ambiguous: later (CET)
    ["2026-10-25", "02:59", "Europe/Berlin", "2026-10-25T01:59:00.000Z"],
    ["2026-10-25", "03:00", "Europe/Berlin", "2026-10-25T02:00:00.000Z"],
    ["2026-10-25", "09:00", "Europe/Berlin", "2026-10-25T08:00:00.000Z"],
    ["2026-10-24", "09:00", "Europe/Berlin", "2026-10-24T07:00:00.000Z"],
    // New York, spring forward (2026-03-08).
    ["2026-03-08", "00:00", "America/New_York", "2026-03-08T05:00:00.000Z"],
    ["2026-03-08", "01:59", "America/New_York", "2026-03-08T06:59:00.000Z"],
    ["2026-03-08", "02:00", "America/New_York", "2026-03-08T07:00:00.000Z"], // gap: read with −05 → 03:00 EDT
    ["2026-03-08", "02:30", "America/New_York", "2026-03-08T07:30:00.000Z"], // gap: 03:30 EDT
    ["2026-03-08", "03:00", "America/New_York", "2026-03-08T07:00:00.000Z"],
    ["2026-03-08", "09:00", "America/New_York", "2026-03-08T13:00:00.000Z"],
    ["2026-03-07", "09:00", "America/New_York", "2026-03-07T14:00:00.000Z"],
    // New York, fall back (2026-11-01): 01:00–01:59 happen twice.
    ["2026-11-01", "00:00", "America/New_York", "2026-11-01T04:00:00.000Z"],
    ["2026-11-01", "00:59", "America/New_York", "2026-11-01T04:59:00.000Z"],
    ["2026-11-01", "01:00", "America/New_York", "2026-11-01T06:00:00.000Z"], // ambiguous: later (EST)
    ["2026-11-01", "01:30", "America/New_York", "2026-11-01T06:30:00.000Z"], // ambiguous: later (EST)
    ["2026-11-01", "01:59", "America/New_York", "2026-11-01T06:59:00.000Z"],
    ["2026-11-01", "02:00", "America/New_York", "2026-11-01T07:00:00.000Z"],
    ["2026-11-01", "09:00", "America/New_York", "2026-11-01T14:00:00.000Z"],
    ["2026-10-31", "09:00", "America/New_York", "2026-10-31T13:00:00.000Z"],
    // Half- and quarter-hour offsets.
    ["2026-06-15", "09:00", "Asia/Kolkata", "2026-06-15T03:30:00.000Z"],
    ["2026-06-15", "00:00", "Asia/Kolkata", "2026-06-14T18:30:00.000Z"],
    ["2026-06-15", "05:29", "Asia/Kolkata", "2026-06-14T23:59:00.000Z"],
    ["2026-06-15", "09:00", "Asia/Kathmandu", "2026-06-15T03:15:00.000Z"],
    ["2026-06-15", "00:00", "Asia/Kathmandu", "2026-06-14T18:15:00.000Z"],
    ["2026-06-15", "09:00", "UTC", "2026-06-15T09:00:00.000Z"],
  ])("%s %s in %s is %s", (date, time, zone, expected) => {
    expect(iso(wallToInstant(date, hm(time), zone))).toBe(expected);
  });

  it.each([
    // minutes = 1440: the next local midnight, which on a change day is 23 or 25 hours after this one.
    ["2026-03-28", "Europe/Berlin", "2026-03-28T23:00:00.000Z"],
    ["2026-03-29", "Europe/Berlin", "2026-03-29T22:00:00.000Z"],
    ["2026-10-25", "Europe/Berlin", "2026-10-25T23:00:00.000Z"],
    ["2026-03-08", "America/New_York", "2026-03-09T04:00:00.000Z"],
    ["2026-11-01", "America/New_York", "2026-11-02T05:00:00.000Z"],
    ["2026-06-15", "Asia/Kolkata", "2026-06-15T18:30:00.000Z"],
    ["2026-06-15", "Asia/Kathmandu", "2026-06-15T18:15:00.000Z"],
    ["2026-12-31", "Europe/Berlin", "2026-12-31T23:00:00.000Z"],
    ["2026-02-28", "UTC", "2026-03-01T00:00:00.000Z"],
  ])("minutes = 1440 on %s in %s is the next midnight, %s", (date, zone, expected) => {
    expect(iso(wallToInstant(date, 1440, zone))).toBe(expected);
    expect(iso(startOfLocalDay(addDays(date, 1), zone))).toBe(expected);
  });

  it("gives a change day its real length (23 h, 25 h)", () => {
    const hours = (date: string, zone: string) => (wallToInstant(date, 1440, zone) - wallToInstant(date, 0, zone)) / 3_600_000;
    expect([hours("2026-03-29", "Europe/Berlin"), hours("2026-10-25", "Europe/Berlin")]).toEqual([23, 25]);
    expect([hours("2026-03-08", "America/New_York"), hours("2026-11-01", "America/New_York")]).toEqual([23, 25]);
    expect(hours("2026-06-15", "Asia/Kolkata")).toBe(24);
  });

  it("throws on an unknown zone", () => {
    expect(() => wallToInstant("2026-06-15", 0, "Mars/Olympus_Mons")).toThrow(RangeError);
  });
});

describe("localDate", () => {
  it.each([
    ["2026-03-28T22:59:59.999Z", "Europe/Berlin", "2026-03-28"],
    ["2026-03-28T23:00:00.000Z", "Europe/Berlin", "2026-03-29"],
    ["2026-03-29T21:59:59.999Z", "Europe/Berlin", "2026-03-29"],
    ["2026-03-29T22:00:00.000Z", "Europe/Berlin", "2026-03-30"],
    ["2026-10-24T21:59:59.999Z", "Europe/Berlin", "2026-10-24"],
    ["2026-10-24T22:00:00.000Z", "Europe/Berlin", "2026-10-25"],
    ["2026-10-25T22:59:59.999Z", "Europe/Berlin", "2026-10-25"],
    ["2026-10-25T23:00:00.000Z", "Europe/Berlin", "2026-10-26"],
    ["2026-03-08T04:59:59.999Z", "America/New_York", "2026-03-07"],
    ["2026-03-08T05:00:00.000Z", "America/New_York", "2026-03-08"],
    ["2026-03-09T03:59:59.999Z", "America/New_York", "2026-03-08"],
    ["2026-03-09T04:00:00.000Z", "America/New_York", "2026-03-09"],
    ["2026-11-01T03:59:59.999Z", "America/New_York", "2026-10-31"],
    ["2026-11-01T04:00:00.000Z", "America/New_York", "2026-11-01"],
    ["2026-11-02T04:59:59.999Z", "America/New_York", "2026-11-01"],
    ["2026-11-02T05:00:00.000Z", "America/New_York", "2026-11-02"],
    ["2026-06-14T18:29:59.999Z", "Asia/Kolkata", "2026-06-14"],
    ["2026-06-14T18:30:00.000Z", "Asia/Kolkata", "2026-06-15"],
    ["2026-06-14T18:14:59.999Z", "Asia/Kathmandu", "2026-06-14"],
    ["2026-06-14T18:15:00.000Z", "Asia/Kathmandu", "2026-06-15"],
    ["2026-12-31T23:00:00.000Z", "Europe/Berlin", "2027-01-01"],
    ["2026-06-15T03:00:00.000Z", "UTC", "2026-06-15"],
    ["2026-06-15T03:00:00.000Z", "America/Los_Angeles", "2026-06-14"],
    ["2026-06-15T13:00:00.000Z", "Pacific/Auckland", "2026-06-16"],
  ])("%s in %s is on %s", (instant, zone, expected) => {
    expect(localDate(at(instant), zone)).toBe(expected);
  });
});

describe("offsetMinutes", () => {
  it.each([
    ["2026-03-29T00:59:59.999Z", "Europe/Berlin", 60],
    ["2026-03-29T01:00:00.000Z", "Europe/Berlin", 120],
    ["2026-10-25T00:59:59.999Z", "Europe/Berlin", 120],
    ["2026-10-25T01:00:00.000Z", "Europe/Berlin", 60],
    ["2026-03-08T06:59:59.999Z", "America/New_York", -300],
    ["2026-03-08T07:00:00.000Z", "America/New_York", -240],
    ["2026-11-01T05:59:59.999Z", "America/New_York", -240],
    ["2026-11-01T06:00:00.000Z", "America/New_York", -300],
    ["2026-06-15T12:00:00.000Z", "Asia/Kolkata", 330],
    ["2026-01-15T12:00:00.000Z", "Asia/Kathmandu", 345],
    ["2026-06-15T12:00:00.000Z", "Pacific/Auckland", 720],
    ["2026-12-15T12:00:00.000Z", "Pacific/Auckland", 780],
    ["2026-06-15T12:00:00.000Z", "UTC", 0],
  ])("%s in %s is %i", (instant, zone, expected) => {
    expect(offsetMinutes(zone, at(instant))).toBe(expected);
  });

  it("answers the same every second around a change, whichever order the cache is filled in", () => {
    const change = at("2026-11-01T06:00:00.000Z");
    const expected = (ms: number) => (ms < change ? -240 : -300);
    const instants: number[] = [];
    for (let ms = change - 20 * 60_000; ms < change + 20 * 60_000; ms += 1_000) instants.push(ms);
    for (const order of [instants, [...instants].reverse()]) {
      const wrong = order.filter((ms) => offsetMinutes("America/New_York", ms) !== expected(ms));
      expect(wrong.map(iso)).toEqual([]);
    }
  });

  it("keeps a change that falls inside a quarter hour exact (Africa/Monrovia, 1972-01-07 00:44:30Z, −00:44:30 → UTC)", () => {
    // The bucket [00:30Z, 00:45Z) holds the change: both its sides must stay exact, asked in any order.
    const zone = "Africa/Monrovia";
    for (let round = 0; round < 2; round += 1) {
      expect(offsetMinutes(zone, at("1972-01-07T00:30:00.000Z"))).toBe(-44.5);
      expect(offsetMinutes(zone, at("1972-01-07T00:44:29.999Z"))).toBe(-44.5);
      expect(offsetMinutes(zone, at("1972-01-07T00:44:30.000Z"))).toBe(0);
      expect(offsetMinutes(zone, at("1972-01-07T00:44:59.999Z"))).toBe(0);
    }
  });
});

describe("calendar helpers", () => {
  it.each([
    ["2026-02-28", 1, "2026-03-01"],
    ["2026-12-31", 1, "2027-01-01"],
    ["2026-03-01", -1, "2026-02-28"],
    ["2028-02-28", 1, "2028-02-29"],
    ["2026-03-28", 2, "2026-03-30"],
  ])("addDays(%s, %i) is %s", (date, days, expected) => {
    expect(addDays(date, days)).toBe(expected);
  });

  it.each([
    ["2026-03-29", 0],
    ["2026-06-15", 1],
    ["2026-06-19", 5],
    ["2026-06-20", 6],
    ["2027-01-01", 5],
  ])("weekdayOf(%s) is %i", (date, expected) => {
    expect(weekdayOf(date)).toBe(expected);
  });
});

/**
 * The rule is Postgres's, so Postgres is the oracle: every quarter hour (0 … 24:00) of each change
 * day, read by `timestamp AT TIME ZONE zone`, must give the instant wallToInstant gives. Jest's
 * globalSetup starts an embedded Postgres and sets DATABASE_URL for the run.
 */
const DAYS: Array<[string, string]> = [
  ["Europe/Berlin", "2026-03-29"],
  ["Europe/Berlin", "2026-10-25"],
  ["America/New_York", "2026-03-08"],
  ["America/New_York", "2026-11-01"],
  ["America/Los_Angeles", "2026-03-08"],
  ["America/Los_Angeles", "2026-11-01"],
  ["Pacific/Auckland", "2026-04-05"],
  ["Pacific/Auckland", "2026-09-27"],
  ["Asia/Kolkata", "2026-06-15"],
  ["Asia/Kathmandu", "2026-06-15"],
];
const withDatabase = process.env.DATABASE_URL ? describe : describe.skip;

withDatabase(
  "wallToInstant agrees with Postgres's `timestamp AT TIME ZONE` (skipped without DATABASE_URL, set by jest's globalSetup)",
  () => {
    let client: Client;
    beforeAll(async () => {
      client = new Client({ connectionString: process.env.DATABASE_URL });
      await client.connect();
    });
    afterAll(() => client?.end());

    it.each(DAYS)("every quarter hour of the day in %s on %s", async (zone, date) => {
      const walls: Array<{ text: string; date: string; minutes: number }> = [];
      for (let minutes = 0; minutes <= 1440; minutes += 15) {
        const day = minutes === 1440 ? addDays(date, 1) : date;
        const m = minutes % 1440;
        const text = `${day} ${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}:00`;
        walls.push({ text, date, minutes });
      }
      const { rows } = await client.query<{ t: number }>(
        `SELECT (extract(epoch FROM (w::timestamp AT TIME ZONE $2)) * 1000)::float8 AS t
         FROM unnest($1::text[]) WITH ORDINALITY AS u(w, i) ORDER BY i`,
        [walls.map((w) => w.text), zone],
      );
      expect(rows).toHaveLength(97);
      const disagreements = walls
        .map((w, i) => ({ wall: w.text, postgres: iso(rows[i].t), ours: iso(wallToInstant(w.date, w.minutes, zone)) }))
        .filter((d) => d.postgres !== d.ours);
      expect(disagreements).toEqual([]);
    });

    it("the oracle itself follows the documented rule (gap forward, overlap later)", async () => {
      const { rows } = await client.query<{ gap: number; overlap: number }>(
        `SELECT (extract(epoch FROM ('2026-03-08 02:30:00'::timestamp AT TIME ZONE 'America/New_York')) * 1000)::float8 AS gap,
              (extract(epoch FROM ('2026-11-01 01:30:00'::timestamp AT TIME ZONE 'America/New_York')) * 1000)::float8 AS overlap`,
      );
      expect(iso(rows[0].gap)).toBe("2026-03-08T07:30:00.000Z");
      expect(iso(rows[0].overlap)).toBe("2026-11-01T06:30:00.000Z");
    });
  },
);
