import type { Range } from "./ranges";
import { timeToMinutes, type HoursRow } from "./schedule-resolution";
import { workingRanges } from "./working-hours";

/**
 * Working hours → UTC ranges (domain.md "Availability"). Expected ranges are written out by hand
 * (Berlin +01/+02, New York −05/−04, Los Angeles −07 in June, Auckland +12 in June). workingRanges
 * returns every local day touching the window (and a day either side); the tests keep the ranges
 * overlapping the window they ask about.
 */

const at = (text: string) => Date.parse(text);

/** Rows as the loader makes them from `time` columns (23:59 → 1440 through timeToMinutes). */
function weekly(days: number[], start: string, end: string): HoursRow {
  return { days, startMinutes: timeToMinutes(start), endMinutes: timeToMinutes(end), date: null };
}
function override(date: string, start: string, end: string): HoursRow {
  return { days: [], startMinutes: timeToMinutes(start), endMinutes: timeToMinutes(end), date };
}
const WEEKDAYS = [1, 2, 3, 4, 5];

/** The ranges overlapping [from, to), as ISO pairs. */
function ranges(zone: string, rows: HoursRow[], from: string, to: string, away: Range[] = []): string[][] {
  const window = { start: at(from), end: at(to) };
  return workingRanges({ zone, rows, scheduleId: 1 }, window, away)
    .filter((r) => r.end > window.start && r.start < window.end)
    .map((r) => [new Date(r.start).toISOString(), new Date(r.end).toISOString()]);
}

describe("timeToMinutes", () => {
  it.each([
    ["00:00:00", 0],
    ["09:30:00", 570],
    ["17:00", 1020],
    ["23:58:00", 1438],
    ["23:59:00", 1440],
    ["23:59:59", 1440],
  ])("%s is %i", (text, expected) => {
    expect(timeToMinutes(text)).toBe(expected);
  });
});

describe("workingRanges: Mon–Fri 09:00–17:00 stays 09:00 local across DST changes", () => {
  const rows = [weekly(WEEKDAYS, "09:00", "17:00")];
  it.each([
    [
      "Europe/Berlin, spring forward Sun 2026-03-29",
      "Europe/Berlin",
      "2026-03-27T00:00:00Z",
      "2026-04-01T00:00:00Z",
      [
        ["2026-03-27T08:00:00.000Z", "2026-03-27T16:00:00.000Z"], // Fri, CET
        ["2026-03-30T07:00:00.000Z", "2026-03-30T15:00:00.000Z"], // Mon, CEST
        ["2026-03-31T07:00:00.000Z", "2026-03-31T15:00:00.000Z"],
      ],
    ],
    [
      "Europe/Berlin, fall back Sun 2026-10-25",
      "Europe/Berlin",
      "2026-10-23T00:00:00Z",
      "2026-10-27T00:00:00Z",
      [
        ["2026-10-23T07:00:00.000Z", "2026-10-23T15:00:00.000Z"], // Fri, CEST
        ["2026-10-26T08:00:00.000Z", "2026-10-26T16:00:00.000Z"], // Mon, CET
      ],
    ],
    [
      "America/New_York, spring forward Sun 2026-03-08",
      "America/New_York",
      "2026-03-06T00:00:00Z",
      "2026-03-10T00:00:00Z",
      [
        ["2026-03-06T14:00:00.000Z", "2026-03-06T22:00:00.000Z"], // Fri, EST
        ["2026-03-09T13:00:00.000Z", "2026-03-09T21:00:00.000Z"], // Mon, EDT
      ],
    ],
    [
      "America/New_York, fall back Sun 2026-11-01",
      "America/New_York",
      "2026-10-30T00:00:00Z",
      "2026-11-03T00:00:00Z",
      [
        ["2026-10-30T13:00:00.000Z", "2026-10-30T21:00:00.000Z"], // Fri, EDT
        ["2026-11-02T14:00:00.000Z", "2026-11-02T22:00:00.000Z"], // Mon, EST
      ],
    ],
  ])("%s", (_name, zone, from, to, expected) => {
    expect(ranges(zone, rows, from, to)).toEqual(expected);
  });
});

describe("workingRanges on the change day itself", () => {
  it.each([
    // The whole Sunday (00:00–23:59 = 24:00): 23 or 25 hours long.
    [
      "Berlin 2026-03-29 whole day",
      "Europe/Berlin",
      [weekly([0], "00:00", "23:59")],
      "2026-03-29T00:00:00Z",
      "2026-03-29T12:00:00Z",
      [["2026-03-28T23:00:00.000Z", "2026-03-29T22:00:00.000Z"]],
    ],
    [
      "Berlin 2026-10-25 whole day",
      "Europe/Berlin",
      [weekly([0], "00:00", "23:59")],
      "2026-10-25T00:00:00Z",
      "2026-10-25T12:00:00Z",
      [["2026-10-24T22:00:00.000Z", "2026-10-25T23:00:00.000Z"]],
    ],
    [
      "New York 2026-03-08 whole day",
      "America/New_York",
      [weekly([0], "00:00", "23:59")],
      "2026-03-08T12:00:00Z",
      "2026-03-08T13:00:00Z",
      [["2026-03-08T05:00:00.000Z", "2026-03-09T04:00:00.000Z"]],
    ],
    [
      "New York 2026-11-01 whole day",
      "America/New_York",
      [weekly([0], "00:00", "23:59")],
      "2026-11-01T12:00:00Z",
      "2026-11-01T13:00:00Z",
      [["2026-11-01T04:00:00.000Z", "2026-11-02T05:00:00.000Z"]],
    ],
    // Starting in the gap: 02:30 is read with the offset before the change (03:30 CEST = 01:30Z).
    [
      "Berlin 2026-03-29 02:30–04:00",
      "Europe/Berlin",
      [weekly([0], "02:30", "04:00")],
      "2026-03-29T00:00:00Z",
      "2026-03-30T00:00:00Z",
      [["2026-03-29T01:30:00.000Z", "2026-03-29T02:00:00.000Z"]],
    ],
    // Starting in the overlap: 01:00 is the later 01:00 (EST, 06:00Z); 04:00 EST is 09:00Z.
    [
      "New York 2026-11-01 01:00–04:00",
      "America/New_York",
      [weekly([0], "01:00", "04:00")],
      "2026-11-01T00:00:00Z",
      "2026-11-02T00:00:00Z",
      [["2026-11-01T06:00:00.000Z", "2026-11-01T09:00:00.000Z"]],
    ],
    // Ending in the overlap: 00:00 EDT (04:00Z) to the later 01:30 (EST, 06:30Z).
    [
      "New York 2026-11-01 00:00–01:30",
      "America/New_York",
      [weekly([0], "00:00", "01:30")],
      "2026-11-01T00:00:00Z",
      "2026-11-02T00:00:00Z",
      [["2026-11-01T04:00:00.000Z", "2026-11-01T06:30:00.000Z"]],
    ],
  ])("%s", (_name, zone, rows, from, to, expected) => {
    expect(ranges(zone, rows, from, to)).toEqual(expected);
  });
});

describe("workingRanges: rows of one day", () => {
  const MON = ["2026-06-15T00:00:00Z", "2026-06-16T00:00:00Z"] as const;
  it.each([
    [
      "a split shift gives two ranges",
      [weekly([1], "09:00", "12:00"), weekly([1], "13:00", "17:00")],
      [
        ["2026-06-15T09:00:00.000Z", "2026-06-15T12:00:00.000Z"],
        ["2026-06-15T13:00:00.000Z", "2026-06-15T17:00:00.000Z"],
      ],
    ],
    [
      "overlapping and touching rows merge",
      [weekly([1], "09:00", "12:00"), weekly([1], "11:00", "14:00"), weekly([1], "14:00", "15:00")],
      [["2026-06-15T09:00:00.000Z", "2026-06-15T15:00:00.000Z"]],
    ],
    [
      "a row whose end is before its start is ignored",
      [weekly([1], "17:00", "09:00"), weekly([1], "10:00", "11:00")],
      [["2026-06-15T10:00:00.000Z", "2026-06-15T11:00:00.000Z"]],
    ],
    ["a row whose end equals its start is empty", [weekly([1], "10:00", "10:00")], []],
    ["a row for other weekdays gives nothing on Monday", [weekly([0, 2, 3, 4, 5, 6], "09:00", "17:00")], []],
  ])("%s", (_name, rows, expected) => {
    expect(ranges("UTC", rows, ...MON)).toEqual(expected);
  });

  it("23:59 ends at the next midnight and touches the next day's 00:00 (one range)", () => {
    const row = (days: number[], start: string, end: string): HoursRow => ({
      days,
      startMinutes: timeToMinutes(start),
      endMinutes: timeToMinutes(end),
      date: null,
    });
    const rows = [row([1], "18:00:00", "23:59:00"), row([2], "00:00:00", "06:00:00")];
    expect(ranges("UTC", rows, "2026-06-15T12:00:00Z", "2026-06-16T12:00:00Z")).toEqual([
      ["2026-06-15T18:00:00.000Z", "2026-06-16T06:00:00.000Z"],
    ]);
  });

  it("23:59 in Kolkata ends at the next Kolkata midnight (18:30Z)", () => {
    const rows: HoursRow[] = [{ days: [1], startMinutes: timeToMinutes("20:00:00"), endMinutes: timeToMinutes("23:59:00"), date: null }];
    expect(ranges("Asia/Kolkata", rows, "2026-06-15T00:00:00Z", "2026-06-16T00:00:00Z")).toEqual([
      ["2026-06-15T14:30:00.000Z", "2026-06-15T18:30:00.000Z"],
    ]);
  });
});

describe("workingRanges: date overrides land on their local date", () => {
  const rows = [weekly(WEEKDAYS, "09:00", "17:00")];
  it.each([
    [
      "America/Los_Angeles: Tue 2026-06-16 12:00–14:00 replaces Tuesday only",
      "America/Los_Angeles",
      [...rows, override("2026-06-16", "12:00", "14:00")],
      "2026-06-15T12:00:00Z",
      "2026-06-18T12:00:00Z",
      [
        ["2026-06-15T16:00:00.000Z", "2026-06-16T00:00:00.000Z"], // Mon 09–17 PDT
        ["2026-06-16T19:00:00.000Z", "2026-06-16T21:00:00.000Z"], // Tue 12–14 PDT
        ["2026-06-17T16:00:00.000Z", "2026-06-18T00:00:00.000Z"], // Wed
      ],
    ],
    [
      "America/Los_Angeles: Tue 20:00–23:00 falls on Wednesday in UTC and still replaces Tuesday",
      "America/Los_Angeles",
      [...rows, override("2026-06-16", "20:00", "23:00")],
      "2026-06-15T12:00:00Z",
      "2026-06-18T12:00:00Z",
      [
        ["2026-06-15T16:00:00.000Z", "2026-06-16T00:00:00.000Z"],
        ["2026-06-17T03:00:00.000Z", "2026-06-17T06:00:00.000Z"],
        ["2026-06-17T16:00:00.000Z", "2026-06-18T00:00:00.000Z"],
      ],
    ],
    [
      "Pacific/Auckland: Tue 2026-06-16 07:00–10:00 falls on Monday in UTC and replaces Tuesday",
      "Pacific/Auckland",
      [...rows, override("2026-06-16", "07:00", "10:00")],
      "2026-06-14T12:00:00Z",
      "2026-06-17T12:00:00Z",
      [
        ["2026-06-14T21:00:00.000Z", "2026-06-15T05:00:00.000Z"], // Mon 09–17 NZST
        ["2026-06-15T19:00:00.000Z", "2026-06-15T22:00:00.000Z"], // Tue 07–10 NZST
        ["2026-06-16T21:00:00.000Z", "2026-06-17T05:00:00.000Z"], // Wed
      ],
    ],
    [
      "several override rows of one date add up",
      "Pacific/Auckland",
      [...rows, override("2026-06-16", "07:00", "08:00"), override("2026-06-16", "12:00", "13:00")],
      "2026-06-14T12:00:00Z",
      "2026-06-17T12:00:00Z",
      [
        ["2026-06-14T21:00:00.000Z", "2026-06-15T05:00:00.000Z"],
        ["2026-06-15T19:00:00.000Z", "2026-06-15T20:00:00.000Z"],
        ["2026-06-16T00:00:00.000Z", "2026-06-16T01:00:00.000Z"],
        ["2026-06-16T21:00:00.000Z", "2026-06-17T05:00:00.000Z"],
      ],
    ],
    [
      "a day-off override (00:00–00:00) removes Tuesday",
      "America/Los_Angeles",
      [...rows, override("2026-06-16", "00:00", "00:00")],
      "2026-06-15T12:00:00Z",
      "2026-06-18T12:00:00Z",
      [
        ["2026-06-15T16:00:00.000Z", "2026-06-16T00:00:00.000Z"],
        ["2026-06-17T16:00:00.000Z", "2026-06-18T00:00:00.000Z"],
      ],
    ],
    [
      "a day-off override in Auckland removes Tuesday there, not Monday or Wednesday",
      "Pacific/Auckland",
      [...rows, override("2026-06-16", "00:00", "00:00")],
      "2026-06-14T12:00:00Z",
      "2026-06-17T12:00:00Z",
      [
        ["2026-06-14T21:00:00.000Z", "2026-06-15T05:00:00.000Z"],
        ["2026-06-16T21:00:00.000Z", "2026-06-17T05:00:00.000Z"],
      ],
    ],
    [
      "an override on a Saturday adds hours there",
      "America/Los_Angeles",
      [...rows, override("2026-06-20", "10:00", "11:00")],
      "2026-06-19T12:00:00Z",
      "2026-06-22T12:00:00Z",
      [
        ["2026-06-19T16:00:00.000Z", "2026-06-20T00:00:00.000Z"], // Fri
        ["2026-06-20T17:00:00.000Z", "2026-06-20T18:00:00.000Z"], // Sat 10–11 PDT
      ],
    ],
  ])("%s", (_name, zone, allRows, from, to, expected) => {
    expect(ranges(zone, allRows, from, to)).toEqual(expected);
  });

  it("an override on a DST change day is read with that day's offsets (Berlin 2026-10-25 02:30–04:00)", () => {
    // 02:30 is ambiguous: the later one (CET, 01:30Z); 04:00 CET is 03:00Z.
    expect(ranges("Europe/Berlin", [override("2026-10-25", "02:30", "04:00")], "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z")).toEqual([
      ["2026-10-25T01:30:00.000Z", "2026-10-25T03:00:00.000Z"],
    ]);
  });
});

describe("workingRanges: out of office is cut out, half-open", () => {
  const rows = [weekly(WEEKDAYS, "09:00", "17:00")];
  const from = "2026-06-15T00:00:00Z";
  const to = "2026-06-17T00:00:00Z";
  it.each([
    [
      "a lunch hour",
      [{ start: at("2026-06-15T12:00:00Z"), end: at("2026-06-15T13:00:00Z") }],
      [
        ["2026-06-15T09:00:00.000Z", "2026-06-15T12:00:00.000Z"],
        ["2026-06-15T13:00:00.000Z", "2026-06-15T17:00:00.000Z"],
        ["2026-06-16T09:00:00.000Z", "2026-06-16T17:00:00.000Z"],
      ],
    ],
    [
      "an absence ending where the hours start leaves them whole",
      [{ start: at("2026-06-15T08:00:00Z"), end: at("2026-06-15T09:00:00Z") }],
      [
        ["2026-06-15T09:00:00.000Z", "2026-06-15T17:00:00.000Z"],
        ["2026-06-16T09:00:00.000Z", "2026-06-16T17:00:00.000Z"],
      ],
    ],
    [
      "an absence starting where the hours end leaves them whole",
      [{ start: at("2026-06-15T17:00:00Z"), end: at("2026-06-16T09:00:00Z") }],
      [
        ["2026-06-15T09:00:00.000Z", "2026-06-15T17:00:00.000Z"],
        ["2026-06-16T09:00:00.000Z", "2026-06-16T17:00:00.000Z"],
      ],
    ],
    [
      "an absence across two days, unsorted with another",
      [
        { start: at("2026-06-16T16:00:00Z"), end: at("2026-06-16T16:30:00Z") },
        { start: at("2026-06-15T15:00:00Z"), end: at("2026-06-16T10:00:00Z") },
      ],
      [
        ["2026-06-15T09:00:00.000Z", "2026-06-15T15:00:00.000Z"],
        ["2026-06-16T10:00:00.000Z", "2026-06-16T16:00:00.000Z"],
        ["2026-06-16T16:30:00.000Z", "2026-06-16T17:00:00.000Z"],
      ],
    ],
  ])("%s", (_name, away, expected) => {
    expect(ranges("UTC", rows, from, to, away)).toEqual(expected);
  });
});
