import fc from "fast-check";
import { PeriodType, SchedulingType } from "../../entities/enums";
import { buildContext, decideStart, listSlots, type AvailabilityData, type EventTypeRules, type HostData } from "./availability";
import type { BusyBooking } from "./busy-time";
import type { HoursRow, ScheduleData } from "./schedule-resolution";

/**
 * The one rule (availability.ts): `slots` and the booking checks are the same function. For random
 * small event types (personal, collective, round robin; schedules in four zones, overrides, absences,
 * busy bookings with buffers, notice, periods, booking limits, seats, a pinned organizer) over 3–7
 * days that sometimes cross a DST change or New Year:
 *  (a) every listed slot is accepted by decideStart for [start, start + duration);
 *  (b) every start on the slot lattice in [from, to) that is not listed is refused by decideStart.
 * The step is the duration (15, 30 or 60, slotInterval null), so the grid is the step itself and the
 * lattice is every `step` minutes of the requested zone's wall clock: with these zones, UTC multiples
 * of the step, except a 60-minute step in Asia/Kolkata, which is :30 UTC. Everything else (hours,
 * bookings, buffers, notice, now) lies on 15-minute boundaries, so a 30- or 60-minute step also meets
 * ranges that do not start on its lattice.
 */

const MINUTE = 60_000;
const QUARTER = 15 * MINUTE;
const DAY = 86_400_000;
const ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"] as const;
/** First days: before New York's / Berlin's spring-forward and fall-back, a plain June day, New Year. */
const BASES = ["2026-03-05", "2026-03-26", "2026-03-27", "2026-10-22", "2026-10-29", "2026-06-10", "2026-12-28"] as const;

const iso = (ms: number) => new Date(ms).toISOString();
const dateAfter = (base: string, days: number) => iso(Date.parse(`${base}T00:00:00Z`) + days * DAY).slice(0, 10);

const rowArb = fc.record({
  days: fc.oneof(fc.constant([1, 2, 3, 4, 5]), fc.constant([0, 1, 2, 3, 4, 5, 6]), fc.subarray([0, 1, 2, 3, 4, 5, 6], { minLength: 1 })),
  startQ: fc.integer({ min: 0, max: 95 }),
  // Non-positive lengths make a reversed or empty row (ignored); ends past midnight clip to 24:00 (a 23:59 row).
  lengthQ: fc.oneof({ weight: 1, arbitrary: fc.integer({ min: -4, max: 0 }) }, { weight: 8, arbitrary: fc.integer({ min: 4, max: 64 }) }),
});
const scheduleArb = fc.record({
  kind: fc.oneof(
    { weight: 12, arbitrary: fc.constant("own") },
    { weight: 2, arbitrary: fc.constant("builtin") },
    { weight: 1, arbitrary: fc.constant("empty") },
  ),
  zone: fc.option(fc.constantFrom(...ZONES), { nil: null, freq: 5 }),
  rows: fc.array(rowArb, { minLength: 1, maxLength: 3 }),
  override: fc.option(
    fc.record({
      dayOffset: fc.integer({ min: -1, max: 8 }),
      startQ: fc.integer({ min: 0, max: 95 }),
      lengthQ: fc.integer({ min: 0, max: 40 }),
    }),
    { nil: null, freq: 3 },
  ),
});
const hostArb = fc.record({
  schedule: scheduleArb,
  timeZone: fc.constantFrom(...ZONES),
  isFixed: fc.boolean(),
  priority: fc.option(fc.integer({ min: 0, max: 4 }), { nil: null }),
  weight: fc.option(fc.constantFrom(50, 100, 150), { nil: null }),
  away: fc.option(fc.record({ startQ: fc.integer({ min: 0, max: 10 * 96 }), lengthQ: fc.integer({ min: 1, max: 96 }) }), {
    nil: null,
    freq: 4,
  }),
});
const busyArb = fc.record({
  startQ: fc.integer({ min: 0, max: 6 * 96 }),
  lengthQ: fc.integer({ min: 1, max: 12 }),
  hostMask: fc.integer({ min: 1, max: 7 }),
  beforeQ: fc.integer({ min: 0, max: 2 }),
  afterQ: fc.integer({ min: 0, max: 2 }),
  sameEventType: fc.boolean(),
  seatsTaken: fc.integer({ min: 1, max: 3 }),
});
const limitsArb = fc.record(
  {
    PER_DAY: fc.integer({ min: 1, max: 3 }),
    PER_WEEK: fc.integer({ min: 2, max: 8 }),
    PER_MONTH: fc.integer({ min: 3, max: 12 }),
    PER_YEAR: fc.integer({ min: 4, max: 16 }),
  },
  { requiredKeys: [] },
);
const periodArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ type: PeriodType.UNLIMITED, days: 0, calendar: false, startDay: 0, endDay: 0 }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constantFrom(PeriodType.ROLLING, PeriodType.ROLLING_WINDOW),
      days: fc.integer({ min: 0, max: 8 }),
      calendar: fc.boolean(),
      startDay: fc.constant(0),
      endDay: fc.constant(0),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant(PeriodType.RANGE as PeriodType),
      days: fc.constant(0),
      calendar: fc.constant(false),
      startDay: fc.integer({ min: -2, max: 5 }),
      endDay: fc.integer({ min: 0, max: 6 }),
    }),
  },
);

const specArb = fc.record({
  mode: fc.constantFrom("personal", "collective", "roundRobin", "teamWithoutType"),
  hosts: fc.array(hostArb, { minLength: 1, maxLength: 3 }),
  base: fc.constantFrom(...BASES),
  fromQ: fc.integer({ min: 0, max: 95 }),
  days: fc.integer({ min: 3, max: 7 }),
  nowQ: fc.integer({ min: -2 * 96, max: 96 }),
  noticeQ: fc.integer({ min: 0, max: 16 }),
  duration: fc.constantFrom(15, 30, 60),
  requestZone: fc.constantFrom(...ZONES),
  beforeQ: fc.integer({ min: 0, max: 2 }),
  afterQ: fc.integer({ min: 0, max: 2 }),
  period: periodArb,
  limits: fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: limitsArb }),
  counts: fc.array(fc.record({ dayOffset: fc.integer({ min: -8, max: 10 }), n: fc.integer({ min: 0, max: 3 }) }), { maxLength: 5 }),
  seats: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null, freq: 4 }),
  busy: fc.array(busyArb, { maxLength: 24 }),
  pinned: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null, freq: 4 }),
});
type Spec = typeof specArb extends fc.Arbitrary<infer T> ? T : never;

/** The AvailabilityData, the request and `now` a spec describes. */
function build(spec: Spec) {
  const hostsSpec = spec.mode === "personal" ? spec.hosts.slice(0, 1) : spec.hosts;
  const baseMs = Date.parse(`${spec.base}T00:00:00Z`);
  const from = baseMs + spec.fromQ * QUARTER;
  const to = from + spec.days * DAY;
  const now = from + spec.nowQ * QUARTER;
  const early = from - DAY; // busy bookings and absences start from here on

  const schedules = new Map<number, ScheduleData>();
  const hosts: HostData[] = hostsSpec.map((h, i) => {
    const userId = 10 + i;
    const id = 100 + i;
    if (h.schedule.kind !== "builtin") {
      const rows: HoursRow[] =
        h.schedule.kind === "empty"
          ? []
          : h.schedule.rows.map((r) => ({
              days: r.days,
              startMinutes: r.startQ * 15,
              endMinutes: Math.min(96, r.startQ + r.lengthQ) * 15,
              date: null,
            }));
      const o = h.schedule.override;
      if (o && h.schedule.kind === "own") {
        rows.push({
          days: [],
          startMinutes: o.startQ * 15,
          endMinutes: Math.min(96, o.startQ + o.lengthQ) * 15,
          date: dateAfter(spec.base, o.dayOffset),
        });
      }
      schedules.set(id, { id, userId, timeZone: h.schedule.zone, rows });
    }
    return {
      userId,
      name: null,
      email: `host${userId}@example.com`,
      timeZone: h.timeZone,
      locale: null,
      defaultScheduleId: h.schedule.kind === "builtin" ? null : id,
      isFixed: h.isFixed,
      priority: h.priority,
      weight: h.weight,
      hostScheduleId: null,
    };
  });

  const eventType: EventTypeRules = {
    id: 1,
    userId: spec.mode === "personal" ? 10 : null,
    teamId: spec.mode === "personal" ? null : 5,
    length: spec.duration,
    lengths: [spec.duration],
    slotInterval: null,
    minimumBookingNotice: spec.noticeQ * 15,
    beforeEventBuffer: spec.beforeQ * 15,
    afterEventBuffer: spec.afterQ * 15,
    seatsPerTimeSlot: spec.seats,
    schedulingType: spec.mode === "collective" ? SchedulingType.COLLECTIVE : spec.mode === "roundRobin" ? SchedulingType.ROUND_ROBIN : null,
    periodType: spec.period.type,
    periodDays: spec.period.type === PeriodType.ROLLING || spec.period.type === PeriodType.ROLLING_WINDOW ? spec.period.days : null,
    periodCountCalendarDays: spec.period.calendar,
    periodStartDate: spec.period.type === PeriodType.RANGE ? new Date(baseMs + spec.period.startDay * DAY) : null,
    periodEndDate: spec.period.type === PeriodType.RANGE ? new Date(baseMs + (spec.period.startDay + spec.period.endDay) * DAY) : null,
    bookingLimits: spec.limits,
    scheduleId: null,
    timeZone: null,
  };

  const busy: Array<BusyBooking & { hostIds: number[] }> = spec.busy.map((b, i) => {
    const start = from - 4 * QUARTER + b.startQ * QUARTER;
    const hostIds = hosts.filter((_, k) => b.hostMask & (1 << k)).map((h) => h.userId);
    return {
      id: 1000 + i,
      start,
      end: start + b.lengthQ * QUARTER,
      eventTypeId: b.sameEventType ? 1 : 2,
      beforeBuffer: b.beforeQ * 15,
      afterBuffer: b.afterQ * 15,
      seatsTaken: b.sameEventType && spec.seats ? b.seatsTaken : null,
      hostIds: hostIds.length ? hostIds : [10],
    };
  });

  const limitCounts = new Map<string, number>();
  for (const c of spec.counts) {
    const date = dateAfter(spec.base, c.dayOffset);
    limitCounts.set(date, (limitCounts.get(date) ?? 0) + c.n);
  }

  const data: AvailabilityData = {
    eventType,
    hosts,
    schedules,
    outOfOffice: hostsSpec.flatMap((h, i) =>
      h.away ? [{ userId: 10 + i, start: early + h.away.startQ * QUARTER, end: early + (h.away.startQ + h.away.lengthQ) * QUARTER }] : [],
    ),
    busy,
    limitCounts: spec.limits ? limitCounts : null,
    pinnedOrganizer: spec.pinned != null && spec.pinned < hosts.length ? hosts[spec.pinned].userId : null,
  };
  return { data, from, to, now };
}

/** The lattice the slots of a step lie on, in the requested zone (see the file comment). */
function latticeStarts(from: number, to: number, step: number, zone: string): number[] {
  const shift = zone === "Asia/Kolkata" ? 30 : 0; // Kolkata is +05:30; the other zones have whole-hour offsets
  const unit = step * MINUTE;
  const out: number[] = [];
  let t = Math.ceil((from + shift * MINUTE) / unit) * unit - shift * MINUTE;
  for (; t < to; t += unit) out.push(t);
  return out;
}

function describeSpec(spec: Spec, from: number, to: number, now: number): string {
  return `request [${iso(from)}, ${iso(to)}) in ${spec.requestZone}, duration ${spec.duration}, now ${iso(now)}, mode ${spec.mode}`;
}

describe("one rule: listSlots and decideStart agree", () => {
  it("on random small event types (fast-check, seeded)", () => {
    let totalSlots = 0;
    const refusals: Record<string, number> = {};
    const runsWithSlots: Record<string, number> = {};
    fc.assert(
      fc.property(specArb, (spec) => {
        const { data, from, to, now } = build(spec);
        const ctx = buildContext(data, { start: from, end: to + spec.duration * MINUTE }, now);
        const slots = listSlots(ctx, from, to, spec.duration, spec.requestZone);
        const where = describeSpec(spec, from, to, now);
        const listed = new Set<number>();
        let previous = Number.NEGATIVE_INFINITY;
        // (a) every listed slot books.
        for (const slot of slots) {
          const decision = decideStart(ctx, slot.start, slot.start + spec.duration * MINUTE);
          if (!decision.ok) throw new Error(`listed slot ${iso(slot.start)} is refused: ${decision.reason}; ${where}`);
          if (slot.end !== slot.start + spec.duration * MINUTE)
            throw new Error(`slot ${iso(slot.start)} ends at ${iso(slot.end)}; ${where}`);
          if (slot.seatsRemaining !== decision.seatsRemaining)
            throw new Error(
              `slot ${iso(slot.start)} lists ${slot.seatsRemaining} seats, decideStart says ${decision.seatsRemaining}; ${where}`,
            );
          if (slot.start < from || slot.start >= to) throw new Error(`slot ${iso(slot.start)} outside the request; ${where}`);
          if (slot.start <= previous) throw new Error(`slot ${iso(slot.start)} not after ${iso(previous)}; ${where}`);
          previous = slot.start;
          listed.add(slot.start);
        }
        // (b) every lattice start left out is refused, and every one on the lattice that is accepted is listed.
        const lattice = latticeStarts(from, to, spec.duration, spec.requestZone);
        const latticeSet = new Set(lattice);
        for (const start of listed)
          if (!latticeSet.has(start))
            throw new Error(`slot ${iso(start)} is off the ${spec.duration}-minute lattice of ${spec.requestZone}; ${where}`);
        for (const start of lattice) {
          const decision = decideStart(ctx, start, start + spec.duration * MINUTE);
          if (decision.ok !== listed.has(start)) {
            throw new Error(
              `${iso(start)}: decideStart ${decision.ok ? `accepts it (organizer ${decision.organizer.userId})` : `refuses it (${decision.reason})`} ` +
                `but listSlots ${listed.has(start) ? "lists" : "leaves it out"}; ${where}`,
            );
          }
          if (!decision.ok) refusals[decision.reason] = (refusals[decision.reason] ?? 0) + 1;
        }
        totalSlots += slots.length;
        if (slots.length) runsWithSlots[spec.mode] = (runsWithSlots[spec.mode] ?? 0) + 1;
      }),
      { seed: 20261129, numRuns: 300 },
    );
    // The generator must exercise both sides: plenty of listed slots in every mode, and every refusal.
    expect(totalSlots).toBeGreaterThan(5_000);
    for (const mode of ["personal", "collective", "roundRobin", "teamWithoutType"]) expect(runsWithSlots[mode]).toBeGreaterThan(20);
    for (const reason of ["OUTSIDE_WINDOW", "BOOKING_LIMIT_REACHED", "NOT_AVAILABLE", "SLOT_TAKEN"])
      expect(refusals[reason]).toBeGreaterThan(500);
  });
});
