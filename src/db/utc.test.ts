import { formatUtcIso, parseUtcTimestamp } from "./utc";

const iso = (text: string) => {
  const value = parseUtcTimestamp(text);
  return value instanceof Date ? value.toISOString() : value;
};

describe("parseUtcTimestamp", () => {
  it("reads Postgres's zone-less text as UTC, whatever the fraction", () => {
    expect(iso("2026-07-20 10:00:00")).toBe("2026-07-20T10:00:00.000Z");
    expect(iso("2026-07-20 10:00:00.5")).toBe("2026-07-20T10:00:00.500Z");
    expect(iso("2026-07-20 10:00:00.12")).toBe("2026-07-20T10:00:00.120Z");
    expect(iso("2026-07-20 10:00:00.123")).toBe("2026-07-20T10:00:00.123Z");
    expect(iso("2026-07-20 23:59:59.999999")).toBe("2026-07-20T23:59:59.999Z");
    expect(iso("2024-02-29 00:00:00")).toBe("2024-02-29T00:00:00.000Z");
    expect(iso("1970-01-01 00:00:00")).toBe("1970-01-01T00:00:00.000Z");
  });

  it("reads Postgres's JSON form (a T between date and time) the same way", () => {
    expect(iso("2026-07-20T10:00:00")).toBe("2026-07-20T10:00:00.000Z");
    expect(iso("2026-07-20T10:00:00.123456")).toBe("2026-07-20T10:00:00.123Z");
    expect(iso("12026-07-20T10:00:00.5")).toBe("+012026-07-20T10:00:00.500Z");
    expect(iso("0044-03-15T12:00:00 BC")).toBe("-000043-03-15T12:00:00.000Z");
  });

  it("agrees with the general ISO parser on many instants", () => {
    for (let ms = Date.UTC(100, 0, 1); ms < Date.UTC(9999, 11, 31); ms += 7_919_993_117) {
      const expected = new Date(ms).toISOString();
      const text = `${expected.slice(0, 10)} ${expected.slice(11, 23)}`;
      expect(iso(text)).toBe(expected);
    }
  });

  it("takes the general path for years before 100, after 9999, BC and infinity", () => {
    expect(iso("0044-03-15 12:00:00")).toBe("0044-03-15T12:00:00.000Z");
    expect(iso("12026-07-20 10:00:00.250")).toBe("+012026-07-20T10:00:00.250Z");
    expect(iso("0044-03-15 12:00:00 BC")).toBe("-000043-03-15T12:00:00.000Z");
    expect(iso("infinity")).toBe("infinity");
    expect(iso("-infinity")).toBe("-infinity");
  });
});

describe("formatUtcIso", () => {
  it("writes exactly what toISOString writes", () => {
    const instants = [
      0,
      -1,
      1,
      Date.UTC(2026, 6, 20, 10, 0, 0, 5),
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2100, 1, 28, 12),
      Date.UTC(2000, 1, 29),
      Date.UTC(1900, 2, 1),
      -62_135_596_800_001,
      -62_135_596_800_000,
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999) + 1,
      Date.UTC(-43, 2, 15, 12),
      Date.UTC(12026, 6, 20),
      8.64e15,
      -8.64e15,
    ];
    for (let ms = -62_200_000_000_000; ms < 253_500_000_000_000; ms += 1_234_567_890_123) instants.push(ms);
    for (let ms = Date.UTC(1999, 11, 31); ms < Date.UTC(2001, 0, 2); ms += 3_600_000 + 1) instants.push(ms);
    for (const ms of instants) expect([ms, formatUtcIso(new Date(ms))]).toEqual([ms, new Date(ms).toISOString()]);
  });

  it("leaves invalid dates to toISOString (which throws)", () => {
    expect(() => formatUtcIso(new Date(Number.NaN))).toThrow(RangeError);
  });
});
