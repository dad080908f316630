import { parseUtcTimestamp } from "./utc";

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
