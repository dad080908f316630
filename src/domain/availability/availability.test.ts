import { PeriodType, SchedulingType } from "../../entities/enums";
import {
  buildContext,
  decideStart,
  eventZone,
  groupByDay,
  listSlots,
  type AvailabilityContext,
  type AvailabilityData,
  type EventTypeRules,
  type HostData,
  type Slot,
} from "./availability";
import type { BusyBooking } from "./busy-time";
import { orderHosts } from "./host-selection";
import { parseBookingLimits } from "./limits";
import type { Range } from "./ranges";
import { timeToMinutes, type HoursRow, type ScheduleData } from "./schedule-resolution";
import { gridMinutes } from "./slot-grid";

/**
 * The one availability rule (domain.md "Availability"), through buildContext + decideStart +
 * listSlots + groupByDay on hand-built data. Expected instants are written out by hand; the process
 * runs in America/New_York (jest.config.js), so every instant here carries its zone.
 * Calendar: 2026-06-15 is a Monday; June 2026 has Berlin at +02, New York at −04, Kolkata +05:30.
 */

const MINUTE = 60_000;
const at = (text: string) => Date.parse(text);
const iso = (ms: number) => new Date(ms).toISOString();
/** `count` ISO instants from `first`, `step` minutes apart (to spell out long, regular slot lists). */
const series = (first: string, step: number, count: number) => Array.from({ length: count }, (_, i) => iso(at(first) + i * step * MINUTE));

const ALL_DAYS = [0, 1, 2, 3, 4, 5, 6];
const WEEKDAYS = [1, 2, 3, 4, 5];

function weekly(days: number[], start: string, end: string): HoursRow {
  return { days, startMinutes: timeToMinutes(start), endMinutes: timeToMinutes(end), date: null };
}
function schedule(id: number, userId: number, timeZone: string | null, rows: HoursRow[]): ScheduleData {
  return { id, userId, timeZone, rows };
}
function schedules(...list: ScheduleData[]): Map<number, ScheduleData> {
  return new Map(list.map((s) => [s.id, s]));
}
function eventType(over: Partial<EventTypeRules> = {}): EventTypeRules {
  return {
    id: 1,
    userId: 10,
    teamId: null,
    length: 30,
    lengths: [30],
    slotInterval: null,
    minimumBookingNotice: 0,
    beforeEventBuffer: 0,
    afterEventBuffer: 0,
    seatsPerTimeSlot: null,
    schedulingType: null,
    periodType: PeriodType.UNLIMITED,
    periodDays: null,
    periodCountCalendarDays: null,
    periodStartDate: null,
    periodEndDate: null,
    bookingLimits: null,
    scheduleId: null,
    timeZone: null,
    ...over,
  };
}
const team = (over: Partial<EventTypeRules> = {}) => eventType({ userId: null, teamId: 5, ...over });
function host(userId: number, over: Partial<HostData> = {}): HostData {
  return {
    userId,
    name: `Host ${userId}`,
    email: `host${userId}@example.com`,
    timeZone: "UTC",
    locale: null,
    defaultScheduleId: null,
    isFixed: false,
    priority: null,
    weight: null,
    hostScheduleId: null,
    ...over,
  };
}
function busy(
  id: number,
  hostIds: number[],
  start: string,
  end: string,
  over: Partial<BusyBooking> = {},
): BusyBooking & { hostIds: number[] } {
  return { id, start: at(start), end: at(end), eventTypeId: 2, beforeBuffer: 0, afterBuffer: 0, seatsTaken: null, hostIds, ...over };
}
/** One personal host (10) with schedule 100: Mon–Fri 09:00–17:00 UTC, unless overridden. */
function data(over: Partial<AvailabilityData> = {}): AvailabilityData {
  return {
    eventType: eventType(),
    hosts: [host(10, { defaultScheduleId: 100 })],
    schedules: schedules(schedule(100, 10, "UTC", [weekly(WEEKDAYS, "09:00", "17:00")])),
    outOfOffice: [],
    busy: [],
    limitCounts: null,
    pinnedOrganizer: null,
    ...over,
  };
}

const NOW = at("2026-06-01T00:00:00Z");
const JUNE: Range = { start: at("2026-05-25T00:00:00Z"), end: at("2026-07-06T00:00:00Z") };
const ctxOf = (d: AvailabilityData, now = NOW, range: Range = JUNE) => buildContext(d, range, now);

/** The decision for [start, start + minutes): "ok" (with organizer and attendees) or the refusal. */
function decide(ctx: AvailabilityContext, start: string, minutes = 30): string {
  const d = decideStart(ctx, at(start), at(start) + minutes * MINUTE);
  if (!d.ok) return d.reason;
  const attending = d.attending.map((h) => h.userId).join(",");
  return `ok by ${d.organizer.userId}${attending ? ` with ${attending}` : ""}${d.seatsRemaining != null ? `, ${d.seatsRemaining} seats left` : ""}`;
}
const reasonOf = (ctx: AvailabilityContext, start: string, minutes = 30) => decide(ctx, start, minutes).replace(/^ok.*/, "ok");
/** The slot starts of [from, to) as ISO strings. */
function starts(ctx: AvailabilityContext, from: string, to: string, duration = 30, zone = "UTC"): string[] {
  return listSlots(ctx, at(from), at(to), duration, zone).map((s) => iso(s.start));
}
const MON = ["2026-06-15T00:00:00Z", "2026-06-16T00:00:00Z"] as const;

describe("schedule resolution", () => {
  // Every schedule belongs to user 10 (except 50) and is open one distinct hour on Mondays.
  const s = {
    50: schedule(50, 11, "UTC", [weekly([1], "16:00", "17:00")]),
    99: schedule(99, 10, "UTC", []),
    101: schedule(101, 10, "UTC", [weekly([1], "08:00", "09:00")]),
    102: schedule(102, 10, "UTC", [weekly([1], "10:00", "11:00")]),
    103: schedule(103, 10, "UTC", [weekly([1], "12:00", "13:00")]),
    104: schedule(104, 10, "UTC", [weekly([1], "14:00", "15:00")]),
    105: schedule(105, 10, "UTC", [weekly([1], "15:00", "16:00")]),
    106: schedule(106, 10, "UTC", []),
  };
  it.each([
    [
      "the event type's schedule first",
      101,
      102,
      103,
      [s[104], s[103], s[102], s[101]],
      ["2026-06-15T08:00:00.000Z", "2026-06-15T08:30:00.000Z"],
    ],
    [
      "then the host's schedule",
      null,
      102,
      103,
      [s[104], s[103], s[102], s[101]],
      ["2026-06-15T10:00:00.000Z", "2026-06-15T10:30:00.000Z"],
    ],
    [
      "then the user's default",
      null,
      null,
      103,
      [s[104], s[103], s[102], s[101]],
      ["2026-06-15T12:00:00.000Z", "2026-06-15T12:30:00.000Z"],
    ],
    [
      "then the user's lowest-id schedule (not another user's lower id)",
      null,
      null,
      null,
      [s[105], s[50], s[104]],
      ["2026-06-15T14:00:00.000Z", "2026-06-15T14:30:00.000Z"],
    ],
    [
      "a default that no longer exists falls through to the lowest id",
      null,
      null,
      999,
      [s[105], s[104]],
      ["2026-06-15T14:00:00.000Z", "2026-06-15T14:30:00.000Z"],
    ],
    [
      "an event type schedule that does not exist falls through",
      998,
      null,
      103,
      [s[103], s[101]],
      ["2026-06-15T12:00:00.000Z", "2026-06-15T12:30:00.000Z"],
    ],
    ["an existing schedule without rows is never available (event type's)", 106, null, 103, [s[106], s[103]], []],
    ["an existing schedule without rows is never available (default)", null, null, 106, [s[106], s[103]], []],
    ["an existing schedule without rows is never available (lowest id)", null, null, null, [s[104], s[99]], []],
  ])("%s", (_name, etSchedule, hostSchedule, defaultSchedule, list, expected) => {
    const d = data({
      eventType: eventType({ scheduleId: etSchedule }),
      hosts: [host(10, { hostScheduleId: hostSchedule, defaultScheduleId: defaultSchedule })],
      schedules: schedules(...list),
    });
    expect(starts(ctxOf(d), ...MON)).toEqual(expected);
  });

  it("without any schedule: the built-in Mon–Fri 09:00–17:00 in the user's zone", () => {
    const d = data({ hosts: [host(10, { timeZone: "Asia/Kolkata" })], schedules: new Map() });
    const ctx = ctxOf(d);
    // 09:00–17:00 IST is 03:30Z–11:30Z.
    expect(starts(ctx, ...MON)).toEqual(series("2026-06-15T03:30:00Z", 30, 16));
    expect(reasonOf(ctx, "2026-06-14T04:00:00Z")).toBe("NOT_AVAILABLE"); // Sunday
    expect(reasonOf(ctx, "2026-06-15T11:30:00Z")).toBe("NOT_AVAILABLE");
    expect(ctx.zone).toBe("Asia/Kolkata");
  });

  it("the built-in hours take the event type's (legacy) zone before the user's", () => {
    const d = data({
      eventType: eventType({ timeZone: "America/New_York" }),
      hosts: [host(10, { timeZone: "Asia/Kolkata" })],
      schedules: new Map(),
    });
    expect(starts(ctxOf(d), "2026-06-15T00:00:00Z", "2026-06-15T14:00:00Z")).toEqual([
      "2026-06-15T13:00:00.000Z",
      "2026-06-15T13:30:00.000Z",
    ]);
  });

  it.each([
    ["the schedule's zone first", "Europe/Berlin", "America/New_York", ["2026-06-15T07:00:00.000Z", "2026-06-15T07:30:00.000Z"]],
    ["else the event type's zone", null, "America/New_York", ["2026-06-15T13:00:00.000Z", "2026-06-15T13:30:00.000Z"]],
    ["else the user's zone", null, null, ["2026-06-15T03:30:00.000Z", "2026-06-15T04:00:00.000Z"]],
  ])("zone: %s", (_name, scheduleZone, eventTypeZone, expected) => {
    const d = data({
      eventType: eventType({ timeZone: eventTypeZone }),
      hosts: [host(10, { timeZone: "Asia/Kolkata", defaultScheduleId: 100 })],
      schedules: schedules(schedule(100, 10, scheduleZone, [weekly([1], "09:00", "10:00")])),
    });
    const ctx = ctxOf(d);
    expect(starts(ctx, "2026-06-14T12:00:00Z", "2026-06-15T23:00:00Z")).toEqual(expected);
    expect(ctx.zone).toBe(scheduleZone ?? eventTypeZone ?? "Asia/Kolkata");
  });

  it("an event type without hosts has no slots and its zone is its own, else UTC", () => {
    expect(eventZone({ eventType: eventType({ timeZone: "Asia/Kolkata" }), hosts: [], schedules: new Map() })).toBe("Asia/Kolkata");
    expect(eventZone({ eventType: eventType(), hosts: [], schedules: new Map() })).toBe("UTC");
    const ctx = ctxOf(data({ eventType: team({ schedulingType: SchedulingType.COLLECTIVE }), hosts: [] }));
    expect(starts(ctx, ...MON)).toEqual([]);
    expect(reasonOf(ctx, "2026-06-15T10:00:00Z")).toBe("NOT_AVAILABLE");
  });
});

describe("busy time and buffers", () => {
  // B (event type 2, buffers 10 before / 15 after) at 12:00–12:30; E (the booked type) 5 before / 20 after.
  const b = busy(1, [10], "2026-06-15T12:00:00Z", "2026-06-15T12:30:00Z", { beforeBuffer: 10, afterBuffer: 15 });

  it.each([
    // Both sides: [12:00 − (10 + 20), 12:30 + (15 + 5)) = [11:30, 12:50).
    ["both", "2026-06-15T11:00:00Z", "ok", { beforeBuffer: 10, afterBuffer: 15 }, { beforeEventBuffer: 5, afterEventBuffer: 20 }],
    ["both", "2026-06-15T11:01:00Z", "SLOT_TAKEN", { beforeBuffer: 10, afterBuffer: 15 }, { beforeEventBuffer: 5, afterEventBuffer: 20 }],
    ["both", "2026-06-15T12:49:00Z", "SLOT_TAKEN", { beforeBuffer: 10, afterBuffer: 15 }, { beforeEventBuffer: 5, afterEventBuffer: 20 }],
    ["both", "2026-06-15T12:50:00Z", "ok", { beforeBuffer: 10, afterBuffer: 15 }, { beforeEventBuffer: 5, afterEventBuffer: 20 }],
    // The busy booking's own buffers only: [11:50, 12:45).
    ["B's", "2026-06-15T11:20:00Z", "ok", { beforeBuffer: 10, afterBuffer: 15 }, { beforeEventBuffer: 0, afterEventBuffer: 0 }],
    ["B's", "2026-06-15T11:21:00Z", "SLOT_TAKEN", { beforeBuffer: 10, afterBuffer: 15 }, { beforeEventBuffer: 0, afterEventBuffer: 0 }],
    ["B's", "2026-06-15T12:44:00Z", "SLOT_TAKEN", { beforeBuffer: 10, afterBuffer: 15 }, { beforeEventBuffer: 0, afterEventBuffer: 0 }],
    ["B's", "2026-06-15T12:45:00Z", "ok", { beforeBuffer: 10, afterBuffer: 15 }, { beforeEventBuffer: 0, afterEventBuffer: 0 }],
    // The new booking's only: its after-buffer before B, its before-buffer after B: [11:40, 12:35).
    ["E's", "2026-06-15T11:10:00Z", "ok", { beforeBuffer: 0, afterBuffer: 0 }, { beforeEventBuffer: 5, afterEventBuffer: 20 }],
    ["E's", "2026-06-15T11:11:00Z", "SLOT_TAKEN", { beforeBuffer: 0, afterBuffer: 0 }, { beforeEventBuffer: 5, afterEventBuffer: 20 }],
    ["E's", "2026-06-15T12:34:00Z", "SLOT_TAKEN", { beforeBuffer: 0, afterBuffer: 0 }, { beforeEventBuffer: 5, afterEventBuffer: 20 }],
    ["E's", "2026-06-15T12:35:00Z", "ok", { beforeBuffer: 0, afterBuffer: 0 }, { beforeEventBuffer: 5, afterEventBuffer: 20 }],
    // No buffers: back to back fits on both sides (half-open).
    ["none", "2026-06-15T11:30:00Z", "ok", { beforeBuffer: 0, afterBuffer: 0 }, { beforeEventBuffer: 0, afterEventBuffer: 0 }],
    ["none", "2026-06-15T11:31:00Z", "SLOT_TAKEN", { beforeBuffer: 0, afterBuffer: 0 }, { beforeEventBuffer: 0, afterEventBuffer: 0 }],
    ["none", "2026-06-15T12:00:00Z", "SLOT_TAKEN", { beforeBuffer: 0, afterBuffer: 0 }, { beforeEventBuffer: 0, afterEventBuffer: 0 }],
    ["none", "2026-06-15T12:29:00Z", "SLOT_TAKEN", { beforeBuffer: 0, afterBuffer: 0 }, { beforeEventBuffer: 0, afterEventBuffer: 0 }],
    ["none", "2026-06-15T12:30:00Z", "ok", { beforeBuffer: 0, afterBuffer: 0 }, { beforeEventBuffer: 0, afterEventBuffer: 0 }],
  ])("buffers: %s; a 30-minute booking at %s is %s", (_name, start, expected, bBuffers, eBuffers) => {
    const ctx = ctxOf(data({ eventType: eventType(eBuffers), busy: [{ ...b, ...bBuffers }] }));
    expect(reasonOf(ctx, start)).toBe(expected);
  });

  it("slots skip the blocked range and restart rounded up to the grid", () => {
    const d = data({ eventType: eventType({ beforeEventBuffer: 5, afterEventBuffer: 20 }), busy: [b] });
    // Free: [09:00, 11:30) and [12:50, 17:00); the grid of a 30-minute step is :00/:30, so 12:50 → 13:00.
    expect(starts(ctxOf(d), ...MON)).toEqual([...series("2026-06-15T09:00:00Z", 30, 5), ...series("2026-06-15T13:00:00Z", 30, 8)]);
    // With slotInterval 10 the grid is every 10 minutes: 12:50 is on it.
    const d10 = data({ eventType: eventType({ beforeEventBuffer: 5, afterEventBuffer: 20, slotInterval: 10 }), busy: [b] });
    expect(starts(ctxOf(d10), ...MON)).toEqual([...series("2026-06-15T09:00:00Z", 10, 13), ...series("2026-06-15T12:50:00Z", 10, 23)]);
  });

  it("only the hosts a busy booking names are busy", () => {
    const other = busy(1, [11], "2026-06-15T12:00:00Z", "2026-06-15T12:30:00Z");
    expect(reasonOf(ctxOf(data({ busy: [other] })), "2026-06-15T12:00:00Z")).toBe("ok");
    const attended = busy(2, [11, 10], "2026-06-15T12:00:00Z", "2026-06-15T12:30:00Z");
    expect(reasonOf(ctxOf(data({ busy: [attended] })), "2026-06-15T12:00:00Z")).toBe("SLOT_TAKEN");
  });

  it("out of office removes hours: NOT_AVAILABLE, half-open", () => {
    const ctx = ctxOf(
      data({
        outOfOffice: [
          { userId: 10, start: at("2026-06-15T12:00:00Z"), end: at("2026-06-15T13:00:00Z") },
          { userId: 11, start: at("2026-06-15T09:00:00Z"), end: at("2026-06-15T10:00:00Z") },
        ],
      }),
    );
    expect(reasonOf(ctx, "2026-06-15T12:00:00Z")).toBe("NOT_AVAILABLE");
    expect(reasonOf(ctx, "2026-06-15T11:45:00Z")).toBe("NOT_AVAILABLE");
    expect(reasonOf(ctx, "2026-06-15T11:30:00Z")).toBe("ok");
    expect(reasonOf(ctx, "2026-06-15T13:00:00Z")).toBe("ok");
    expect(reasonOf(ctx, "2026-06-15T09:00:00Z")).toBe("ok"); // another user's absence
  });
});

describe("minimum notice", () => {
  const now = at("2026-06-15T09:10:00Z");
  const ctx = ctxOf(data({ eventType: eventType({ minimumBookingNotice: 120 }) }), now);

  it("the window starts at now + notice", () => {
    expect(iso(ctx.window.start)).toBe("2026-06-15T11:10:00.000Z");
    expect(ctx.window.end).toBe(Number.POSITIVE_INFINITY);
  });
  it.each([
    ["2026-06-15T11:00:00Z", "OUTSIDE_WINDOW"],
    ["2026-06-15T11:09:00Z", "OUTSIDE_WINDOW"],
    ["2026-06-15T11:10:00Z", "ok"], // off the grid is fine for a booking
    ["2026-06-15T11:30:00Z", "ok"],
  ])("a booking at %s: %s", (start, expected) => {
    expect(reasonOf(ctx, start)).toBe(expected);
  });
  it("slots start at the first grid point after now + notice", () => {
    expect(starts(ctx, ...MON)).toEqual(series("2026-06-15T11:30:00Z", 30, 11));
  });
  it("the range is cut at now + notice before rounding, so a 45-minute step counts from there", () => {
    // now + notice = 09:20 → 09:30 (grid 15), then every 45 minutes; not 09:00 + k·45 (09:45, 10:30, …).
    const cut = ctxOf(data({ eventType: eventType({ minimumBookingNotice: 120 }) }), at("2026-06-15T07:20:00Z"));
    expect(starts(cut, ...MON, 45)).toEqual(series("2026-06-15T09:30:00Z", 45, 10));
  });
});

describe("booking period", () => {
  const everyDay = (zone: string) => schedules(schedule(100, 10, zone, [weekly(ALL_DAYS, "00:00", "23:59")]));
  const periodData = (zone: string, over: Partial<EventTypeRules>) => data({ eventType: eventType(over), schedules: everyDay(zone) });
  const WIDE: Range = { start: at("2026-05-25T00:00:00Z"), end: at("2026-07-06T00:00:00Z") };

  it.each([
    // [name, zone, event type, now, window end, last start accepted, first start refused]
    [
      "ROLLING 2 calendar days from Friday (UTC)",
      "UTC",
      { periodType: PeriodType.ROLLING, periodDays: 2, periodCountCalendarDays: true },
      "2026-06-19T12:00:00Z",
      "2026-06-22T00:00:00.000Z",
      "2026-06-21T23:30:00Z",
      "2026-06-22T00:00:00Z",
    ],
    [
      "ROLLING 2 business days from Friday → Tuesday",
      "UTC",
      { periodType: PeriodType.ROLLING, periodDays: 2, periodCountCalendarDays: false },
      "2026-06-19T12:00:00Z",
      "2026-06-24T00:00:00.000Z",
      "2026-06-23T23:30:00Z",
      "2026-06-24T00:00:00Z",
    ],
    [
      "ROLLING business days when periodCountCalendarDays is null",
      "UTC",
      { periodType: PeriodType.ROLLING, periodDays: 2, periodCountCalendarDays: null },
      "2026-06-19T12:00:00Z",
      "2026-06-24T00:00:00.000Z",
      "2026-06-23T23:30:00Z",
      "2026-06-24T00:00:00Z",
    ],
    [
      "ROLLING 0 days: the end of today",
      "UTC",
      { periodType: PeriodType.ROLLING, periodDays: 0, periodCountCalendarDays: true },
      "2026-06-19T12:00:00Z",
      "2026-06-20T00:00:00.000Z",
      "2026-06-19T23:30:00Z",
      "2026-06-20T00:00:00Z",
    ],
    [
      "ROLLING_WINDOW counts like ROLLING",
      "UTC",
      { periodType: PeriodType.ROLLING_WINDOW, periodDays: 2, periodCountCalendarDays: true },
      "2026-06-19T12:00:00Z",
      "2026-06-22T00:00:00.000Z",
      "2026-06-21T23:30:00Z",
      "2026-06-22T00:00:00Z",
    ],
    // 23:30Z Friday is already Saturday 01:30 in Berlin: today is Saturday there.
    [
      "ROLLING 1 calendar day in the event's zone (Berlin)",
      "Europe/Berlin",
      { periodType: PeriodType.ROLLING, periodDays: 1, periodCountCalendarDays: true },
      "2026-06-19T23:30:00Z",
      "2026-06-21T22:00:00.000Z",
      "2026-06-21T21:30:00Z",
      "2026-06-21T22:00:00Z",
    ],
    [
      "ROLLING 1 business day from a Berlin Saturday → Monday",
      "Europe/Berlin",
      { periodType: PeriodType.ROLLING, periodDays: 1, periodCountCalendarDays: false },
      "2026-06-19T23:30:00Z",
      "2026-06-22T22:00:00.000Z",
      "2026-06-22T21:30:00Z",
      "2026-06-22T22:00:00Z",
    ],
    // RANGE: UTC-midnight dates are calendar dates in the event's zone.
    [
      "RANGE 06-16…06-18 in New York",
      "America/New_York",
      { periodType: PeriodType.RANGE, periodStartDate: new Date("2026-06-16T00:00:00Z"), periodEndDate: new Date("2026-06-18T00:00:00Z") },
      "2026-06-01T00:00:00Z",
      "2026-06-19T04:00:00.000Z",
      "2026-06-19T03:30:00Z",
      "2026-06-19T04:00:00Z",
    ],
    [
      "RANGE 06-16…06-18 in Berlin",
      "Europe/Berlin",
      { periodType: PeriodType.RANGE, periodStartDate: new Date("2026-06-16T00:00:00Z"), periodEndDate: new Date("2026-06-18T00:00:00Z") },
      "2026-06-01T00:00:00Z",
      "2026-06-18T22:00:00.000Z",
      "2026-06-18T21:30:00Z",
      "2026-06-18T22:00:00Z",
    ],
  ])("%s", (_name, zone, over, now, windowEnd, lastOk, firstRefused) => {
    const ctx = ctxOf(periodData(zone, over), at(now), WIDE);
    expect(iso(ctx.window.end)).toBe(windowEnd);
    expect(reasonOf(ctx, lastOk)).toBe("ok");
    expect(reasonOf(ctx, firstRefused)).toBe("OUTSIDE_WINDOW");
  });

  it.each([
    ["New York", "America/New_York", "2026-06-16T04:00:00.000Z", "2026-06-16T03:30:00Z"],
    ["Berlin", "Europe/Berlin", "2026-06-15T22:00:00.000Z", "2026-06-15T21:30:00Z"],
  ])("RANGE starts at the start of periodStartDate's day in %s", (_name, zone, windowStart, before) => {
    const ctx = ctxOf(
      periodData(zone, {
        periodType: PeriodType.RANGE,
        periodStartDate: new Date("2026-06-16T00:00:00Z"),
        periodEndDate: new Date("2026-06-18T00:00:00Z"),
      }),
      NOW,
      WIDE,
    );
    expect(iso(ctx.window.start)).toBe(windowStart);
    expect(reasonOf(ctx, before)).toBe("OUTSIDE_WINDOW");
    expect(reasonOf(ctx, windowStart)).toBe("ok");
  });

  it("RANGE that has begun starts at now + notice", () => {
    const over = {
      periodType: PeriodType.RANGE,
      periodStartDate: new Date("2026-06-01T00:00:00Z"),
      periodEndDate: new Date("2026-06-30T00:00:00Z"),
      minimumBookingNotice: 60,
    };
    const ctx = ctxOf(periodData("UTC", over), at("2026-06-10T10:00:00Z"), WIDE);
    expect(iso(ctx.window.start)).toBe("2026-06-10T11:00:00.000Z");
  });

  it("UNLIMITED has no end", () => {
    const ctx = ctxOf(periodData("UTC", {}), NOW, { start: at("2030-06-16T00:00:00Z"), end: at("2030-06-18T00:00:00Z") });
    expect(ctx.window.end).toBe(Number.POSITIVE_INFINITY);
    expect(reasonOf(ctx, "2030-06-17T10:00:00Z")).toBe("ok");
  });

  it("slots stop at the end of the period", () => {
    const ctx = ctxOf(
      periodData("UTC", { periodType: PeriodType.ROLLING, periodDays: 2, periodCountCalendarDays: true }),
      at("2026-06-19T12:00:00Z"),
      WIDE,
    );
    const list = starts(ctx, "2026-06-19T00:00:00Z", "2026-06-26T00:00:00Z", 60);
    expect(list).toEqual(series("2026-06-19T12:00:00Z", 60, 60));
    expect(list[list.length - 1]).toBe("2026-06-21T23:00:00.000Z");
  });
});

describe("booking limits", () => {
  // Every day 00:00–24:00 in Berlin: the limits count Berlin dates.
  const limited = (limits: unknown, counts: Record<string, number> | null) =>
    ctxOf(
      data({
        eventType: eventType({ bookingLimits: limits }),
        schedules: schedules(schedule(100, 10, "Europe/Berlin", [weekly(ALL_DAYS, "00:00", "23:59")])),
        limitCounts: counts ? new Map(Object.entries(counts)) : null,
      }),
      at("2025-12-01T00:00:00Z"),
      { start: at("2025-12-20T00:00:00Z"), end: at("2027-01-10T00:00:00Z") },
    );

  it.each([
    [
      "PER_DAY 2, two on Tue 06-16",
      { PER_DAY: 2 },
      { "2026-06-16": 2 },
      [
        ["2026-06-15T21:30:00Z", "ok"], // Mon 23:30 Berlin
        ["2026-06-15T22:00:00Z", "BOOKING_LIMIT_REACHED"], // Tue 00:00 Berlin
        ["2026-06-16T21:30:00Z", "BOOKING_LIMIT_REACHED"], // Tue 23:30 Berlin
        ["2026-06-16T22:00:00Z", "ok"], // Wed 00:00 Berlin
      ],
    ],
    ["PER_DAY 2, one on Tue 06-16", { PER_DAY: 2 }, { "2026-06-16": 1 }, [["2026-06-16T10:00:00Z", "ok"]]],
    // Monday-start weeks: Mon 06-15 and Sun 06-21 are the same week.
    [
      "PER_WEEK 3, one on Mon 06-15 and two on Sun 06-21",
      { PER_WEEK: 3 },
      { "2026-06-15": 1, "2026-06-21": 2 },
      [
        ["2026-06-14T21:30:00Z", "ok"], // Sun 06-14 23:30 Berlin: the week before
        ["2026-06-14T22:00:00Z", "BOOKING_LIMIT_REACHED"], // Mon 06-15 00:00 Berlin
        ["2026-06-18T10:00:00Z", "BOOKING_LIMIT_REACHED"],
        ["2026-06-21T21:30:00Z", "BOOKING_LIMIT_REACHED"], // Sun 06-21 23:30 Berlin
        ["2026-06-21T22:00:00Z", "ok"], // Mon 06-22 00:00 Berlin
      ],
    ],
    [
      "PER_WEEK 2, a week straddling New Year (Mon 2026-12-28 … Sun 2027-01-03)",
      { PER_WEEK: 2 },
      { "2026-12-28": 1, "2027-01-02": 1 },
      [
        ["2026-12-31T10:00:00Z", "BOOKING_LIMIT_REACHED"],
        ["2027-01-03T10:00:00Z", "BOOKING_LIMIT_REACHED"],
        ["2027-01-04T10:00:00Z", "ok"],
        ["2026-12-27T10:00:00Z", "ok"],
      ],
    ],
    [
      "PER_MONTH 2, on 06-01 and 06-30",
      { PER_MONTH: 2 },
      { "2026-06-01": 1, "2026-06-30": 1 },
      [
        ["2026-05-31T21:30:00Z", "ok"], // May 31 23:30 Berlin
        ["2026-05-31T22:00:00Z", "BOOKING_LIMIT_REACHED"], // June 1 00:00 Berlin
        ["2026-06-30T21:30:00Z", "BOOKING_LIMIT_REACHED"],
        ["2026-06-30T22:00:00Z", "ok"], // July 1 00:00 Berlin
      ],
    ],
    [
      "PER_YEAR 1, one on 2026-01-05",
      { PER_YEAR: 1 },
      { "2026-01-05": 1 },
      [
        ["2025-12-31T22:30:00Z", "ok"], // 2025-12-31 23:30 Berlin
        ["2025-12-31T23:00:00Z", "BOOKING_LIMIT_REACHED"], // 2026-01-01 00:00 Berlin
        ["2026-12-31T22:30:00Z", "BOOKING_LIMIT_REACHED"],
        ["2026-12-31T23:00:00Z", "ok"], // 2027-01-01 00:00 Berlin
      ],
    ],
    [
      "PER_DAY 5 and PER_WEEK 2: the week is full though no day is",
      { PER_DAY: 5, PER_WEEK: 2 },
      { "2026-06-15": 1, "2026-06-17": 1 },
      [
        ["2026-06-19T10:00:00Z", "BOOKING_LIMIT_REACHED"],
        ["2026-06-22T10:00:00Z", "ok"],
      ],
    ],
    ["a zero or fractional limit is ignored", { PER_DAY: 0, PER_WEEK: 1.5 }, { "2026-06-16": 3 }, [["2026-06-16T10:00:00Z", "ok"]]],
    ["without counts (none loaded) nothing is full", { PER_DAY: 1 }, null, [["2026-06-16T10:00:00Z", "ok"]]],
  ])("%s", (_name, limits, counts, cases) => {
    const ctx = limited(limits, counts);
    expect(cases.map(([start]) => [start, reasonOf(ctx, start)])).toEqual(cases);
  });

  it("a full day drops all its slots (Berlin Tuesday), the next day keeps them", () => {
    const ctx = limited({ PER_DAY: 1 }, { "2026-06-16": 1 });
    expect(starts(ctx, "2026-06-15T22:00:00Z", "2026-06-16T22:00:00Z", 60, "Europe/Berlin")).toEqual([]);
    expect(starts(ctx, "2026-06-15T20:00:00Z", "2026-06-16T23:00:00Z", 60, "Europe/Berlin")).toEqual([
      "2026-06-15T20:00:00.000Z",
      "2026-06-15T21:00:00.000Z",
      "2026-06-16T22:00:00.000Z",
    ]);
  });

  it("parseBookingLimits keeps positive integers of the four keys", () => {
    expect(parseBookingLimits({ PER_DAY: 2, PER_WEEK: 0, PER_MONTH: -1, PER_YEAR: 1.5, PER_HOUR: 3 })).toEqual({ PER_DAY: 2 });
    expect(parseBookingLimits({ PER_DAY: "2" })).toBeNull();
    expect(parseBookingLimits([1])).toBeNull();
    expect(parseBookingLimits(null)).toBeNull();
    expect(parseBookingLimits({ PER_WEEK: 3, PER_YEAR: 10 })).toEqual({ PER_WEEK: 3, PER_YEAR: 10 });
  });
});

describe("decision order: OUTSIDE_WINDOW, BOOKING_LIMIT_REACHED, NOT_AVAILABLE, SLOT_TAKEN", () => {
  // Mon–Fri 09–17 UTC; now Mon 06-15 00:00; period ends Fri 06-19 00:00; Wed 06-17 and Fri 06-19 full.
  const ctx = ctxOf(
    data({
      eventType: eventType({ periodType: PeriodType.ROLLING, periodDays: 3, periodCountCalendarDays: true, bookingLimits: { PER_DAY: 1 } }),
      limitCounts: new Map([
        ["2026-06-17", 1],
        ["2026-06-19", 1],
      ]),
      busy: [
        busy(1, [10], "2026-06-16T10:00:00Z", "2026-06-16T10:30:00Z"),
        busy(2, [10], "2026-06-16T16:30:00Z", "2026-06-16T17:30:00Z"),
        busy(3, [10], "2026-06-17T10:00:00Z", "2026-06-17T10:30:00Z"),
        busy(4, [10], "2026-06-19T10:00:00Z", "2026-06-19T10:30:00Z"),
      ],
    }),
    at("2026-06-15T00:00:00Z"),
  );
  it.each([
    ["2026-06-19T10:00:00Z", "OUTSIDE_WINDOW"], // after the period, full day, busy: the window wins
    ["2026-06-14T23:30:00Z", "OUTSIDE_WINDOW"], // before now
    ["2026-06-17T10:00:00Z", "BOOKING_LIMIT_REACHED"], // full day and busy
    ["2026-06-17T20:00:00Z", "BOOKING_LIMIT_REACHED"], // full day and not in the hours
    ["2026-06-16T16:45:00Z", "NOT_AVAILABLE"], // runs past 17:00 and busy
    ["2026-06-16T20:00:00Z", "NOT_AVAILABLE"],
    ["2026-06-16T10:00:00Z", "SLOT_TAKEN"],
    ["2026-06-16T11:00:00Z", "ok"],
  ])("%s: %s", (start, expected) => {
    expect(reasonOf(ctx, start)).toBe(expected);
  });
});

describe("seats", () => {
  const held = (seatsTaken: number, over: Partial<BusyBooking> = {}) =>
    busy(5, [10], "2026-06-15T10:00:00Z", "2026-06-15T10:30:00Z", { eventTypeId: 1, seatsTaken, ...over });
  const seated = (b: Array<BusyBooking & { hostIds: number[] }>, over: Partial<EventTypeRules> = {}) =>
    ctxOf(data({ eventType: eventType({ seatsPerTimeSlot: 3, ...over }), busy: b }));

  it("a held booking of the event type leaves its own start open while seats remain", () => {
    const ctx = seated([held(2)]);
    expect(decide(ctx, "2026-06-15T10:00:00Z")).toBe("ok by 10, 1 seats left");
    expect(decide(ctx, "2026-06-15T09:30:00Z")).toBe("ok by 10, 3 seats left");
    const slots = listSlots(ctx, at("2026-06-15T09:00:00Z"), at("2026-06-15T11:00:00Z"), 30, "UTC");
    expect(slots.map((s) => [iso(s.start), iso(s.end), s.seatsRemaining])).toEqual([
      ["2026-06-15T09:00:00.000Z", "2026-06-15T09:30:00.000Z", 3],
      ["2026-06-15T09:30:00.000Z", "2026-06-15T10:00:00.000Z", 3],
      ["2026-06-15T10:00:00.000Z", "2026-06-15T10:30:00.000Z", 1],
      ["2026-06-15T10:30:00.000Z", "2026-06-15T11:00:00.000Z", 3],
    ]);
  });

  it("it still blocks other starts that overlap it", () => {
    const ctx = seated([held(2)]);
    expect(reasonOf(ctx, "2026-06-15T10:15:00Z")).toBe("SLOT_TAKEN");
    expect(reasonOf(ctx, "2026-06-15T09:45:00Z")).toBe("SLOT_TAKEN");
    const every15 = seated([held(2)], { slotInterval: 15 });
    expect(starts(every15, "2026-06-15T09:00:00Z", "2026-06-15T11:00:00Z")).toEqual([
      "2026-06-15T09:00:00.000Z",
      "2026-06-15T09:15:00.000Z",
      "2026-06-15T09:30:00.000Z",
      "2026-06-15T10:00:00.000Z",
      "2026-06-15T10:30:00.000Z",
      "2026-06-15T10:45:00.000Z",
    ]);
  });

  it("with buffers around it, still not at its own start", () => {
    // After-buffer 15 of the new booking: the held booking blocks [09:45, 10:30) for other starts.
    const ctx = seated([held(1)], { afterEventBuffer: 15 });
    expect(reasonOf(ctx, "2026-06-15T09:30:00Z")).toBe("SLOT_TAKEN");
    expect(decide(ctx, "2026-06-15T10:00:00Z")).toBe("ok by 10, 2 seats left");
    expect(reasonOf(ctx, "2026-06-15T09:15:00Z")).toBe("ok");
  });

  it("a full slot is SLOT_TAKEN and not listed", () => {
    const ctx = seated([held(3)]);
    expect(reasonOf(ctx, "2026-06-15T10:00:00Z")).toBe("SLOT_TAKEN");
    expect(starts(ctx, "2026-06-15T09:00:00Z", "2026-06-15T11:00:00Z")).toEqual([
      "2026-06-15T09:00:00.000Z",
      "2026-06-15T09:30:00.000Z",
      "2026-06-15T10:30:00.000Z",
    ]);
  });

  it("a booking of another event type at that start blocks it", () => {
    const ctx = seated([held(1, { eventTypeId: 2 })]);
    expect(reasonOf(ctx, "2026-06-15T10:00:00Z")).toBe("SLOT_TAKEN");
  });

  it("without seats, a booking of the same event type blocks its start", () => {
    const ctx = seated([held(1)], { seatsPerTimeSlot: null });
    expect(reasonOf(ctx, "2026-06-15T10:00:00Z")).toBe("SLOT_TAKEN");
    expect(decide(ctx, "2026-06-15T11:00:00Z")).toBe("ok by 10");
  });
});

describe("collective", () => {
  // Host 10: 09–17 UTC; host 11: 09–17 Berlin = 07:00–15:00Z in June.
  const collective = (hosts: HostData[], extra: Partial<AvailabilityData> = {}) =>
    ctxOf(
      data({
        eventType: team({ schedulingType: SchedulingType.COLLECTIVE }),
        hosts,
        schedules: schedules(
          schedule(100, 10, "UTC", [weekly(WEEKDAYS, "09:00", "17:00")]),
          schedule(110, 11, "Europe/Berlin", [weekly(WEEKDAYS, "09:00", "17:00")]),
        ),
        ...extra,
      }),
    );
  const h10 = host(10, { defaultScheduleId: 100 });
  const h11 = host(11, { defaultScheduleId: 110 });

  it("lists the intersection of the hosts' hours", () => {
    expect(starts(collective([h10, h11]), ...MON, 60)).toEqual(series("2026-06-15T09:00:00Z", 60, 6));
  });
  it.each([
    ["2026-06-15T09:00:00Z", "ok by 10 with 11"],
    ["2026-06-15T14:30:00Z", "ok by 10 with 11"],
    ["2026-06-15T15:00:00Z", "NOT_AVAILABLE"], // host 11's day has ended
    ["2026-06-15T08:00:00Z", "NOT_AVAILABLE"], // host 10's has not begun
  ])("%s: %s", (start, expected) => {
    expect(decide(collective([h11, h10]), start)).toBe(expected);
  });
  it("one busy host makes the time SLOT_TAKEN and drops it from the slots", () => {
    const ctx = collective([h10, h11], { busy: [busy(1, [11], "2026-06-15T10:00:00Z", "2026-06-15T10:30:00Z")] });
    expect(reasonOf(ctx, "2026-06-15T10:00:00Z")).toBe("SLOT_TAKEN");
    expect(starts(ctx, ...MON, 60)).toEqual(["2026-06-15T09:00:00.000Z", ...series("2026-06-15T11:00:00Z", 60, 4)]);
  });
  it("the organizer is the first host in host order; the event's zone is that host's", () => {
    const first = collective([h10, { ...h11, priority: 3 }]);
    expect(decide(first, "2026-06-15T10:00:00Z")).toBe("ok by 11 with 10");
    expect(first.zone).toBe("Europe/Berlin");
    const second = collective([{ ...h11 }, h10]);
    expect(decide(second, "2026-06-15T10:00:00Z")).toBe("ok by 10 with 11");
    expect(second.zone).toBe("UTC");
  });
  it("a host away for the day leaves no slots", () => {
    const ctx = collective([h10, h11], {
      outOfOffice: [{ userId: 11, start: at("2026-06-15T00:00:00Z"), end: at("2026-06-16T00:00:00Z") }],
    });
    expect(starts(ctx, ...MON)).toEqual([]);
    expect(reasonOf(ctx, "2026-06-15T10:00:00Z")).toBe("NOT_AVAILABLE");
  });
});

describe("round robin", () => {
  const base = schedules(
    schedule(100, 10, "UTC", [weekly(WEEKDAYS, "09:00", "17:00")]),
    schedule(111, 11, "UTC", [weekly(WEEKDAYS, "09:00", "12:00")]),
    schedule(112, 12, "UTC", [weekly(WEEKDAYS, "13:00", "17:00")]),
  );
  const rr = (
    hosts: HostData[],
    extra: Partial<AvailabilityData> = {},
    schedulingType: SchedulingType | null = SchedulingType.ROUND_ROBIN,
  ) => ctxOf(data({ eventType: team({ schedulingType }), hosts, schedules: base, ...extra }));
  const fixed10 = host(10, { defaultScheduleId: 100, isFixed: true });
  const h11 = host(11, { defaultScheduleId: 111 });
  const h12 = host(12, { defaultScheduleId: 112 });

  it.each([
    ["2026-06-15T10:00:00Z", "ok by 10 with 11"],
    ["2026-06-15T14:00:00Z", "ok by 10 with 12"],
    ["2026-06-15T12:00:00Z", "NOT_AVAILABLE"], // no non-fixed host has 12:00–12:30
    ["2026-06-15T11:45:00Z", "NOT_AVAILABLE"], // 11 ends at 12:00, 12 starts at 13:00
    ["2026-06-15T08:00:00Z", "NOT_AVAILABLE"],
  ])("fixed 10 with 11 (09–12) and 12 (13–17): %s → %s", (start, expected) => {
    expect(decide(rr([h12, fixed10, h11]), start)).toBe(expected);
  });

  it("lists the fixed host's free time where some non-fixed host is free", () => {
    expect(starts(rr([fixed10, h11, h12]), ...MON)).toEqual([
      ...series("2026-06-15T09:00:00Z", 30, 6),
      ...series("2026-06-15T13:00:00Z", 30, 8),
    ]);
  });

  it("the only non-fixed host with hours being busy is SLOT_TAKEN; a busy fixed host too", () => {
    const ctx = rr([fixed10, h11, h12], {
      busy: [busy(1, [11], "2026-06-15T10:00:00Z", "2026-06-15T10:30:00Z"), busy(2, [10], "2026-06-15T14:00:00Z", "2026-06-15T14:30:00Z")],
    });
    expect(reasonOf(ctx, "2026-06-15T10:00:00Z")).toBe("SLOT_TAKEN");
    expect(reasonOf(ctx, "2026-06-15T14:00:00Z")).toBe("SLOT_TAKEN");
    expect(reasonOf(ctx, "2026-06-15T12:00:00Z")).toBe("NOT_AVAILABLE");
    expect(starts(ctx, ...MON)).not.toContain("2026-06-15T10:00:00.000Z");
    expect(starts(ctx, ...MON)).not.toContain("2026-06-15T14:00:00.000Z");
  });

  it("a fixed host without the hours is NOT_AVAILABLE even when a non-fixed host has them", () => {
    const late = host(12, { defaultScheduleId: 113 });
    const s = schedules(...base.values(), schedule(113, 12, "UTC", [weekly(WEEKDAYS, "13:00", "19:00")]));
    const ctx = rr([fixed10, late], { schedules: s });
    expect(reasonOf(ctx, "2026-06-15T17:00:00Z")).toBe("NOT_AVAILABLE");
    expect(reasonOf(ctx, "2026-06-15T16:30:00Z")).toBe("ok");
  });

  it("without fixed hosts: the first free non-fixed host in host order organizes alone", () => {
    const light = host(11, { defaultScheduleId: 100, weight: 50 });
    const heavy = host(12, { defaultScheduleId: 100 }); // weight null = 100
    expect(decide(rr([light, heavy]), "2026-06-15T10:00:00Z")).toBe("ok by 12");
    const oneBusy = rr([light, heavy], { busy: [busy(1, [12], "2026-06-15T10:00:00Z", "2026-06-15T10:30:00Z")] });
    expect(decide(oneBusy, "2026-06-15T10:00:00Z")).toBe("ok by 11");
    expect(starts(oneBusy, "2026-06-15T09:00:00Z", "2026-06-15T11:00:00Z")).toEqual(series("2026-06-15T09:00:00Z", 30, 4));
    const bothBusy = rr([light, heavy], { busy: [busy(1, [12, 11], "2026-06-15T10:00:00Z", "2026-06-15T10:30:00Z")] });
    expect(reasonOf(bothBusy, "2026-06-15T10:00:00Z")).toBe("SLOT_TAKEN");
  });

  it("several fixed hosts: the first organizes, the others and the chosen non-fixed host attend", () => {
    // Hosts 13 and 14 have no schedule: the built-in Mon–Fri 09:00–17:00 in their zone (UTC).
    const ctx = rr([fixed10, host(13, { isFixed: true, priority: 4 }), h11, host(14)]);
    expect(decide(ctx, "2026-06-15T10:00:00Z")).toBe("ok by 13 with 10,11");
    expect(decide(ctx, "2026-06-15T14:00:00Z")).toBe("ok by 13 with 10,14");
  });

  it("a team event type without a scheduling type is round robin", () => {
    const ctx = rr([h11, h12], {}, null);
    expect(ctx.mode).toBe("roundRobin");
    expect(decide(ctx, "2026-06-15T10:00:00Z")).toBe("ok by 11");
    expect(decide(ctx, "2026-06-15T14:00:00Z")).toBe("ok by 12");
    expect(rr([h11, h12], {}, SchedulingType.COLLECTIVE).mode).toBe("all");
  });

  it("host order: fixed first, then priority desc (null = 2), weight desc (null = 100), user id asc", () => {
    const hosts = [
      host(1),
      host(2, { priority: 3, weight: 10 }),
      host(3, { priority: 1, weight: 500 }),
      host(4, { priority: 2, weight: 150 }),
      host(5, { isFixed: true, priority: 0, weight: 0 }),
      host(6),
      host(7, { priority: 2, weight: 99 }),
      host(8, { weight: 101 }),
    ];
    const expected = [5, 2, 4, 8, 1, 6, 7, 3];
    expect(orderHosts(hosts).map((h) => h.userId)).toEqual(expected);
    expect(orderHosts([...hosts].reverse()).map((h) => h.userId)).toEqual(expected);
    expect(rr(hosts).hosts.map((h) => h.userId)).toEqual(expected);
  });

  describe("a rescheduled booking keeps its organizer (pinnedOrganizer)", () => {
    const a = host(11, { defaultScheduleId: 100 });
    const b = host(12, { defaultScheduleId: 100 });
    const busy11 = busy(1, [11], "2026-06-15T10:00:00Z", "2026-06-15T10:30:00Z");
    it("pinned to the later host: they organize even where the first is free", () => {
      expect(decide(rr([a, b], { busy: [busy11] }), "2026-06-15T09:00:00Z")).toBe("ok by 11");
      expect(decide(rr([a, b], { busy: [busy11], pinnedOrganizer: 12 }), "2026-06-15T09:00:00Z")).toBe("ok by 12");
    });
    it("pinned to a busy host: SLOT_TAKEN there though another host is free, and not listed", () => {
      const pinned = rr([a, b], { busy: [busy11], pinnedOrganizer: 11 });
      expect(reasonOf(pinned, "2026-06-15T10:00:00Z")).toBe("SLOT_TAKEN");
      expect(starts(pinned, "2026-06-15T09:00:00Z", "2026-06-15T11:00:00Z")).toEqual([
        "2026-06-15T09:00:00.000Z",
        "2026-06-15T09:30:00.000Z",
        "2026-06-15T10:30:00.000Z",
      ]);
      const free = rr([a, b], { busy: [busy11] });
      expect(decide(free, "2026-06-15T10:00:00Z")).toBe("ok by 12");
      expect(starts(free, "2026-06-15T09:00:00Z", "2026-06-15T11:00:00Z")).toEqual(series("2026-06-15T09:00:00Z", 30, 4));
    });
    it("a pinned user who is not a non-fixed host changes nothing", () => {
      expect(decide(rr([a, b], { busy: [busy11], pinnedOrganizer: 99 }), "2026-06-15T10:00:00Z")).toBe("ok by 12");
      expect(decide(rr([fixed10, a, b], { busy: [busy11], pinnedOrganizer: 10 }), "2026-06-15T10:00:00Z")).toBe("ok by 10 with 12");
    });
  });
});

describe("slot grid", () => {
  it.each([
    [60, 60],
    [120, 60],
    [30, 30],
    [90, 30],
    [20, 20],
    [40, 20],
    [45, 15],
    [15, 15],
    [50, 10],
    [10, 10],
    [25, 5],
    [35, 5],
    [7, 1],
    [1, 1],
  ])("a step of %i minutes has a grid of %i", (step, grid) => {
    expect(gridMinutes(step)).toBe(grid);
  });

  it("the step is slotInterval when set (20 minutes, 30-minute meetings)", () => {
    const ctx = ctxOf(data({ eventType: eventType({ slotInterval: 20 }) }));
    const list = starts(ctx, ...MON, 30);
    expect(list).toEqual(series("2026-06-15T09:00:00Z", 20, 23));
    expect(list[list.length - 1]).toBe("2026-06-15T16:20:00.000Z"); // 16:40 + 30 would pass 17:00
  });

  it("else the duration (45 minutes: grid 15, one every 45)", () => {
    expect(starts(ctxOf(data()), ...MON, 45)).toEqual([
      "2026-06-15T09:00:00.000Z",
      "2026-06-15T09:45:00.000Z",
      "2026-06-15T10:30:00.000Z",
      "2026-06-15T11:15:00.000Z",
      "2026-06-15T12:00:00.000Z",
      "2026-06-15T12:45:00.000Z",
      "2026-06-15T13:30:00.000Z",
      "2026-06-15T14:15:00.000Z",
      "2026-06-15T15:00:00.000Z",
      "2026-06-15T15:45:00.000Z",
    ]);
  });

  describe("the grid is counted in the requested zone", () => {
    // Europe/London in January is UTC+0: hours 09:00–17:00Z on Monday 2026-01-12.
    const ctx = ctxOf(
      data({ schedules: schedules(schedule(100, 10, "Europe/London", [weekly(WEEKDAYS, "09:00", "17:00")])) }),
      at("2026-01-01T00:00:00Z"),
      { start: at("2026-01-05T00:00:00Z"), end: at("2026-01-19T00:00:00Z") },
    );
    const JAN12 = ["2026-01-12T00:00:00Z", "2026-01-13T00:00:00Z"] as const;
    it.each([
      ["Europe/London, hourly", "Europe/London", 60, series("2026-01-12T09:00:00Z", 60, 8)],
      // Kolkata whole hours are :30 UTC: 15:00 IST = 09:30Z … 21:00 IST = 15:30Z.
      ["Asia/Kolkata, hourly", "Asia/Kolkata", 60, series("2026-01-12T09:30:00Z", 60, 7)],
      // Kolkata :00/:30 are UTC :30/:00.
      ["Asia/Kolkata, half-hourly", "Asia/Kolkata", 30, series("2026-01-12T09:00:00Z", 30, 16)],
      // Kathmandu :00/:30 are UTC :15/:45.
      ["Asia/Kathmandu, half-hourly", "Asia/Kathmandu", 30, series("2026-01-12T09:15:00Z", 30, 15)],
    ])("%s", (_name, zone, duration, expected) => {
      expect(starts(ctx, ...JAN12, duration, zone)).toEqual(expected);
    });
  });

  it("the first slot of a range is its (cut) start rounded up to the grid", () => {
    const ctx = ctxOf(data());
    expect(starts(ctx, "2026-06-15T09:10:00Z", "2026-06-15T11:00:00Z")).toEqual([
      "2026-06-15T09:30:00.000Z",
      "2026-06-15T10:00:00.000Z",
      "2026-06-15T10:30:00.000Z",
    ]);
    expect(starts(ctx, "2026-06-15T09:31:00Z", "2026-06-15T11:00:00Z")).toEqual(["2026-06-15T10:00:00.000Z", "2026-06-15T10:30:00.000Z"]);
    const late = ctxOf(data({ schedules: schedules(schedule(100, 10, "UTC", [weekly([1], "09:05", "11:00")])) }));
    expect(starts(late, ...MON)).toEqual(["2026-06-15T09:30:00.000Z", "2026-06-15T10:00:00.000Z", "2026-06-15T10:30:00.000Z"]);
  });

  it("a slot never runs past the hours; a booking off the grid inside them is fine", () => {
    const ctx = ctxOf(data({ schedules: schedules(schedule(100, 10, "UTC", [weekly([1], "09:00", "10:45")])) }));
    expect(starts(ctx, ...MON)).toEqual(["2026-06-15T09:00:00.000Z", "2026-06-15T09:30:00.000Z", "2026-06-15T10:00:00.000Z"]);
    expect(reasonOf(ctx, "2026-06-15T10:30:00Z")).toBe("NOT_AVAILABLE");
    expect(reasonOf(ctx, "2026-06-15T10:15:00Z")).toBe("ok");
    expect(reasonOf(ctx, "2026-06-15T09:07:00Z")).toBe("ok");
  });

  it.each([
    ["2026-06-15T09:30:00Z", ["2026-06-15T09:00:00.000Z"]],
    ["2026-06-15T09:31:00Z", ["2026-06-15T09:00:00.000Z", "2026-06-15T09:30:00.000Z"]],
    ["2026-06-15T10:00:00Z", ["2026-06-15T09:00:00.000Z", "2026-06-15T09:30:00.000Z"]],
  ])("only starts before `to` (%s) are kept", (to, expected) => {
    expect(starts(ctxOf(data()), "2026-06-15T09:00:00Z", to)).toEqual(expected);
  });

  it("ranges that touch merge (09:00–10:15 + 10:15–12:00 gives 10:00–11:00)", () => {
    const rows = [weekly([1], "09:00", "10:15"), weekly([1], "10:15", "12:00")];
    const ctx = ctxOf(data({ schedules: schedules(schedule(100, 10, "UTC", rows)) }));
    expect(starts(ctx, ...MON, 60)).toEqual(["2026-06-15T09:00:00.000Z", "2026-06-15T10:00:00.000Z", "2026-06-15T11:00:00.000Z"]);
  });

  it("an empty or reversed request has no slots", () => {
    const ctx = ctxOf(data());
    expect(starts(ctx, "2026-06-15T12:00:00Z", "2026-06-15T12:00:00Z")).toEqual([]);
    expect(starts(ctx, "2026-06-15T13:00:00Z", "2026-06-15T12:00:00Z")).toEqual([]);
  });

  it("09:00 local on both sides of Berlin's spring-forward", () => {
    const ctx = ctxOf(
      data({ schedules: schedules(schedule(100, 10, "Europe/Berlin", [weekly(ALL_DAYS, "09:00", "17:00")])) }),
      at("2026-03-01T00:00:00Z"),
      { start: at("2026-03-27T00:00:00Z"), end: at("2026-04-02T00:00:00Z") },
    );
    const days = groupByDay(listSlots(ctx, at("2026-03-27T23:00:00Z"), at("2026-03-30T22:00:00Z"), 60, "Europe/Berlin"), "Europe/Berlin");
    expect(days.map((d) => [d.date, d.slots.length, iso(d.slots[0].start), iso(d.slots[d.slots.length - 1].start)])).toEqual([
      ["2026-03-28", 8, "2026-03-28T08:00:00.000Z", "2026-03-28T15:00:00.000Z"],
      ["2026-03-29", 8, "2026-03-29T07:00:00.000Z", "2026-03-29T14:00:00.000Z"],
      ["2026-03-30", 8, "2026-03-30T07:00:00.000Z", "2026-03-30T14:00:00.000Z"],
    ]);
  });
});

describe("groupByDay", () => {
  // Monday 00:00–06:00 UTC, hourly: Sunday evening in New York, Monday morning in Kolkata.
  const ctx = ctxOf(data({ schedules: schedules(schedule(100, 10, "UTC", [weekly([1], "00:00", "06:00")])) }));
  const slots = listSlots(ctx, at("2026-06-15T00:00:00Z"), at("2026-06-16T00:00:00Z"), 60, "UTC");
  const shape = (days: Array<{ date: string; slots: Slot[] }>) => days.map((d) => [d.date, d.slots.map((s) => iso(s.start))]);

  it("groups by the local date of the requested zone", () => {
    expect(shape(groupByDay(slots, "America/New_York"))).toEqual([
      ["2026-06-14", ["2026-06-15T00:00:00.000Z", "2026-06-15T01:00:00.000Z", "2026-06-15T02:00:00.000Z", "2026-06-15T03:00:00.000Z"]],
      ["2026-06-15", ["2026-06-15T04:00:00.000Z", "2026-06-15T05:00:00.000Z"]],
    ]);
    expect(shape(groupByDay(slots, "Asia/Kolkata"))).toEqual([["2026-06-15", series("2026-06-15T00:00:00Z", 60, 6)]]);
    expect(shape(groupByDay(slots, "Pacific/Auckland"))).toEqual([["2026-06-15", series("2026-06-15T00:00:00Z", 60, 6)]]);
    // Auckland is +12: 12:00Z is Tuesday 00:00 there.
    const noon = { start: at("2026-06-15T12:00:00Z"), end: at("2026-06-15T13:00:00Z"), seatsRemaining: null };
    expect(shape(groupByDay([...slots, noon], "Pacific/Auckland")).map(([date]) => date)).toEqual(["2026-06-15", "2026-06-16"]);
  });

  it("no slots, no days", () => {
    expect(groupByDay([], "UTC")).toEqual([]);
  });

  it("a 25-hour day (New York, 2026-11-01) is one day of 25 hourly slots", () => {
    const nyc = ctxOf(
      data({ schedules: schedules(schedule(100, 10, "America/New_York", [weekly([0], "00:00", "23:59")])) }),
      at("2026-10-01T00:00:00Z"),
      { start: at("2026-10-30T00:00:00Z"), end: at("2026-11-04T00:00:00Z") },
    );
    const days = groupByDay(
      listSlots(nyc, at("2026-10-31T00:00:00Z"), at("2026-11-03T00:00:00Z"), 60, "America/New_York"),
      "America/New_York",
    );
    expect(shape(days)).toEqual([["2026-11-01", series("2026-11-01T04:00:00Z", 60, 25)]]);
  });
});
