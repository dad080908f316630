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

describe("DateTime range", () => {
  const parse = (text: string) => DateTimeScalar.parseValue(text);
  const refusal = (text: string) => {
    try {
      parse(text);
    } catch (err) {
      return err as { extensions?: { code?: string }; message: string };
    }
    throw new Error(`accepted ${text}`);
  };

  it("accepts 0001-01-01T00:00:00.000Z through 9999-12-31T23:59:59.999Z", () => {
    expect(parse("0001-01-01T00:00:00Z").toISOString()).toBe("0001-01-01T00:00:00.000Z");
    expect(parse("0001-01-01T01:00:00+01:00").toISOString()).toBe("0001-01-01T00:00:00.000Z");
    expect(parse("9999-12-31T23:59:59.999Z").toISOString()).toBe("9999-12-31T23:59:59.999Z");
    expect(parse("9999-12-31T18:59:59.999-05:00").toISOString()).toBe("9999-12-31T23:59:59.999Z");
  });

  it.each(["0000-12-31T23:59:59.999Z", "0001-01-01T00:30:00+01:00", "9999-12-31T23:00:00-05:00", "0000-01-01T00:00:00Z"])(
    "refuses %s as BAD_USER_INPUT",
    (text) => {
      const error = refusal(text);
      expect(error.extensions?.code).toBe("BAD_USER_INPUT");
      expect(error.message).toContain("9999-12-31T23:59:59.999Z");
    },
  );

  it("quotes at most 100 characters of a bad value", () => {
    const error = refusal("x".repeat(900_000));
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    expect(error.message.length).toBeLessThan(250);
  });
});
