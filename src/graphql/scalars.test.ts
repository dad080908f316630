import { parseIsoDateTime, DateTimeScalar } from "./scalars";
import { httpStatusFor } from "./errors";

describe("DateTime", () => {
  it.each([
    ["2026-07-20T10:00:00Z", "2026-07-20T10:00:00.000Z"],
    ["2026-07-20T12:00:00+02:00", "2026-07-20T10:00:00.000Z"],
    ["2026-07-20T06:00:00.5-04:00", "2026-07-20T10:00:00.500Z"],
    ["2026-07-20T10:00Z", "2026-07-20T10:00:00.000Z"],
  ])("parses %s as %s", (input, iso) => {
    expect(parseIsoDateTime(input)?.toISOString()).toBe(iso);
  });
  it.each(["2026-07-20T10:00:00", "2026-07-20", "2026-02-30T10:00:00Z", "2026-13-01T00:00:00Z", "2026-07-20T24:00:00Z", "tomorrow", ""])(
    "refuses %j (no offset, not a date, or out of range)",
    (input) => {
      expect(parseIsoDateTime(input)).toBeUndefined();
    },
  );
  it("always emits UTC with milliseconds", () => {
    expect(DateTimeScalar.serialize(new Date("2026-07-20T12:00:00+02:00"))).toBe("2026-07-20T10:00:00.000Z");
  });
});

describe("error mapping", () => {
  it("gives UNAUTHENTICATED 401 and the other domain codes 200", () => {
    expect(httpStatusFor("UNAUTHENTICATED")).toBe(401);
    for (const code of ["FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT", "CONFLICT"] as const) expect(httpStatusFor(code)).toBe(200);
  });
});
