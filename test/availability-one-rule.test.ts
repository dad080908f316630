import fc from "fast-check";
import { DateTime } from "luxon";
import type { DataSource } from "typeorm";
import { createBooking, createEventType, createSchedule, createUser, createViewer } from "./support/factories";
import { onlyError, startTestGateway, type TestGateway } from "./support/harness";

/**
 * "One rule for both", by property, through GraphQL over HTTP on real Postgres: for random
 * schedules (zones east and west of UTC, split shifts, overrides), busy bookings with buffers,
 * booking limits and ranges (some across DST changes), every start on the slot step that `slots`
 * leaves out is refused by createBooking with the reason an independent oracle (Luxon wall-clock
 * reading of the schedule rows, brute force over the bookings) expects, and a listed slot books.
 * Row boundaries stay outside 00:00–04:00 local so no DST gap or overlap touches them.
 */

const ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "Australia/Sydney"];
const DAYS = ["2031-03-08", "2031-03-29", "2031-06-10", "2031-10-25", "2031-11-01", "2031-12-30"];
const MINUTE = 60_000;

interface Row {
  days: number[];
  start: number;
  end: number;
  date?: string;
}
interface Case {
  zone: string;
  requestZone: string;
  rows: Row[];
  length: 30 | 60;
  before: number;
  after: number;
  perDay: number | null;
  day: string;
  busy: Array<{ offsetSlots: number; slots: number; before: number; after: number; own: boolean }>;
}

const hhmm = (m: number) => (m >= 1440 ? "23:59" : `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`);

const caseArb: fc.Arbitrary<Case> = fc.record({
  zone: fc.constantFrom(...ZONES),
  requestZone: fc.constantFrom("UTC", "Europe/Berlin", "America/New_York"),
  rows: fc.array(
    fc
      .record({
        days: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 }),
        start: fc.integer({ min: 8, max: 26 }).map((h) => h * 30),
        length: fc.integer({ min: 2, max: 20 }).map((n) => n * 30),
      })
      .map((r) => ({ days: r.days, start: r.start, end: Math.min(1440, r.start + r.length) })),
    { minLength: 1, maxLength: 3 },
  ),
  length: fc.constantFrom(30 as const, 60 as const),
  before: fc.constantFrom(0, 0, 30),
  after: fc.constantFrom(0, 30, 60),
  perDay: fc.constantFrom(null, null, 1, 2),
  day: fc.constantFrom(...DAYS),
  busy: fc.array(
    fc.record({
      offsetSlots: fc.integer({ min: 0, max: 95 }),
      slots: fc.integer({ min: 1, max: 4 }),
      before: fc.constantFrom(0, 30),
      after: fc.constantFrom(0, 30),
      own: fc.boolean(),
    }),
    { maxLength: 4 },
  ),
});

/** The oracle's reading of the hours: is every 30-minute step of [s, e) inside a row of its local day? */
function inHours(c: Case, s: number, e: number): boolean {
  for (let t = s; t < e; t += 30 * MINUTE) {
    const local = DateTime.fromMillis(t, { zone: c.zone });
    const minute = local.hour * 60 + local.minute;
    const weekday = local.weekday % 7; // Luxon: Monday 1 … Sunday 7
    if (!c.rows.some((r) => r.days.includes(weekday) && r.start <= minute && minute < r.end)) return false;
  }
  return true;
}

describe("one rule for both (property, over GraphQL)", () => {
  let gw: TestGateway;
  let ds: DataSource;
  let booker: { key: string; email: string };

  beforeAll(async () => {
    gw = await startTestGateway();
    ds = gw.dataSource;
    const b = await createViewer(ds, { email: "prop.booker@example.test" });
    booker = { key: b.key, email: b.user.email };
  });
  afterAll(() => gw.close());

  it("every step start slots leaves out is refused with the oracle's reason, and a listed one books", async () => {
    let cases = 0;
    let refusalsChecked = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, fc.integer({ min: 0, max: 1000 }), async (c, pick) => {
        cases += 1;
        const organizer = await createUser(ds, { timeZone: c.zone }, { hours: "builtin" });
        await createSchedule(
          ds,
          organizer,
          c.rows.map((r) => ({ days: r.days, startTime: hhmm(r.start), endTime: hhmm(r.end) })),
          { makeDefault: true },
        );
        const et = await createEventType(ds, {
          userId: organizer.id,
          length: c.length,
          minimumBookingNotice: 0,
          beforeEventBuffer: c.before,
          afterEventBuffer: c.after,
          bookingLimits: c.perDay ? { PER_DAY: c.perDay } : null,
        });
        const from = DateTime.fromISO(`${c.day}T00:00`, { zone: "UTC" }).toMillis();
        const to = from + 2 * 86_400_000;
        const other = await createEventType(ds, { userId: organizer.id, length: 30, minimumBookingNotice: 0 });
        const existing: Array<{ start: number; end: number; before: number; after: number; eventTypeId: number }> = [];
        for (const b of c.busy) {
          const start = from + b.offsetSlots * 30 * MINUTE;
          const end = start + b.slots * 30 * MINUTE;
          // Some busy bookings are of the event type itself (its own buffers, and they count toward its limit).
          const type = b.own
            ? { id: et.id, before: c.before, after: c.after }
            : b.before || b.after
              ? {
                  id: (
                    await createEventType(ds, {
                      userId: organizer.id,
                      length: 30,
                      minimumBookingNotice: 0,
                      beforeEventBuffer: b.before,
                      afterEventBuffer: b.after,
                    })
                  ).id,
                  before: b.before,
                  after: b.after,
                }
              : { id: other.id, before: 0, after: 0 };
          await createBooking(ds, { userId: organizer.id, eventTypeId: type.id, startTime: new Date(start), endTime: new Date(end) });
          existing.push({ start, end, before: type.before, after: type.after, eventTypeId: type.id });
        }

        const res = await gw.gql<{ slots: Array<{ slots: Array<{ start: string }> }> }>(
          `query($et: Int!, $from: DateTime!, $to: DateTime!, $tz: String!) { slots(eventTypeId: $et, from: $from, to: $to, timeZone: $tz) { slots { start } } }`,
          { et: et.id, from: new Date(from).toISOString(), to: new Date(to).toISOString(), tz: c.requestZone },
          booker.key,
        );
        if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
        const listed = new Set(res.body.data!.slots.flatMap((d) => d.slots.map((s) => Date.parse(s.start))));

        const step = c.length * MINUTE;
        // Every listed start is on the step lattice (hours and bookings lie on 30-minute boundaries).
        for (const s of listed) expect((s - from) % (c.length === 60 ? 30 * MINUTE : step)).toBe(0);
        const unlisted: number[] = [];
        for (let s = from; s < to; s += 30 * MINUTE) if (!listed.has(s)) unlisted.push(s);
        // A sample of the unlisted starts (each refusal is a request), spread over the range.
        const sample = unlisted.filter(
          (_, i) => i % Math.max(1, Math.floor(unlisted.length / 8)) === pick % Math.max(1, Math.floor(unlisted.length / 8)),
        );
        const localDay = (t: number) => DateTime.fromMillis(t, { zone: c.zone }).toISODate();
        for (const s of sample) {
          const e = s + c.length * MINUTE;
          const fullDay =
            c.perDay != null && existing.filter((b) => b.eventTypeId === et.id && localDay(b.start) === localDay(s)).length >= c.perDay;
          const busy = existing.some((b) => b.start - (b.before + c.after) * MINUTE < e && b.end + (b.after + c.before) * MINUTE > s);
          const hours = inHours(c, s, e);
          const onGrid = c.length === 30 || DateTime.fromMillis(s, { zone: c.requestZone }).minute === 0;
          const expected = fullDay
            ? "BOOKING_LIMIT_REACHED"
            : !hours
              ? "NOT_AVAILABLE"
              : busy
                ? "SLOT_TAKEN"
                : onGrid
                  ? "LISTED"
                  : "OFF_GRID";
          const made = await gw.gql(
            `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id } }`,
            {
              in: { eventTypeId: et.id, start: new Date(s).toISOString(), timeZone: "UTC", responses: { name: "P", email: booker.email } },
            },
            booker.key,
          );
          if (expected === "OFF_GRID") {
            // A start off the grid inside free hours may be booked (as in Cal.com): cancel it again.
            expect(made.body.errors).toBeUndefined();
            await ds.query(`DELETE FROM "Booking" WHERE id = $1`, [made.body.data!.createBooking.id]);
            continue;
          }
          if (expected === "LISTED")
            throw new Error(`start ${new Date(s).toISOString()} is free by the oracle but not listed (case ${JSON.stringify(c)})`);
          expect({ start: new Date(s).toISOString(), day: localDay(s), reason: onlyError(made).extensions?.reason }).toEqual({
            start: new Date(s).toISOString(),
            day: localDay(s),
            reason: expected,
          });
          refusalsChecked += 1;
        }
        // One listed slot books.
        const starts = [...listed].sort((a, b) => a - b);
        if (starts.length) {
          const s = starts[pick % starts.length];
          const made = await gw.gql(
            `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id } }`,
            {
              in: { eventTypeId: et.id, start: new Date(s).toISOString(), timeZone: "UTC", responses: { name: "P", email: booker.email } },
            },
            booker.key,
          );
          expect(made.body.errors).toBeUndefined();
        }
      }),
      { seed: 20261130, numRuns: 40 },
    );
    expect(cases).toBe(40);
    expect(refusalsChecked).toBeGreaterThan(40);
  });
});
