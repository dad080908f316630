import type { EventType } from "../../entities";
import { DomainError } from "../errors";
import {
  canonicalTimeZone,
  distinctGuests,
  isValidLanguage,
  isValidTimeZone,
  LIMITS,
  validateCreate,
  type CreateBookingCommand,
} from "./booking-input";

const NOW = new Date("2031-01-01T00:00:00.000Z");
const START = new Date("2031-01-02T09:00:00.000Z");
const eventType = {
  id: 1,
  title: "Intro",
  length: 30,
  metadata: {},
  locations: [],
  minimumBookingNotice: 0,
} as unknown as EventType;

const command = (
  extra: Partial<CreateBookingCommand> = {},
  responses: Partial<CreateBookingCommand["responses"]> = {},
): CreateBookingCommand => ({
  eventTypeId: 1,
  start: START,
  timeZone: "Europe/Berlin",
  responses: { name: "Bea Booker", email: "bea@example.test", ...responses },
  ...extra,
});

/** The BAD_USER_INPUT `validateCreate` answers (field and message). */
function refusal(cmd: CreateBookingCommand): { field?: string; message: string } {
  try {
    validateCreate(cmd, eventType, NOW);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe("BAD_USER_INPUT");
    return { field: (err as DomainError).details.field, message: (err as DomainError).message };
  }
  throw new Error("expected BAD_USER_INPUT");
}

describe("guests", () => {
  it("are de-duplicated ignoring case, keeping the first spelling", () => {
    expect(distinctGuests(["Ann@Example.test", "bob@example.test", "ann@example.test", "BOB@EXAMPLE.TEST"], "bea@example.test")).toEqual([
      "Ann@Example.test",
      "bob@example.test",
    ]);
  });

  it("never include the booker, whatever the letter case", () => {
    expect(distinctGuests(["BEA@example.test", "ann@example.test"], "bea@example.test")).toEqual(["ann@example.test"]);
  });

  it("come out of validateCreate distinct, trimmed, without the booker (30 copies of the booker make no guest)", () => {
    const copies = Array.from({ length: LIMITS.guests }, () => " Bea@Example.test ");
    expect(validateCreate(command({}, { guests: copies }), eventType, NOW).guests).toEqual([]);
    const guests = ["Ann@example.test", " ann@EXAMPLE.test", "carl@example.test"];
    expect(validateCreate(command({}, { guests }), eventType, NOW).guests).toEqual(["Ann@example.test", "carl@example.test"]);
  });

  it("still refuse an invalid address and more than 30 entries", () => {
    expect(refusal(command({}, { guests: ["ann@example.test", "not an address"] })).field).toBe("responses.guests");
    const many = Array.from({ length: LIMITS.guests + 1 }, (_, i) => `g${i}@example.test`);
    expect(refusal(command({}, { guests: many })).field).toBe("responses.guests");
  });
});

describe("language", () => {
  it.each(["en", "de", "pt-BR", "zh-Hant", "zh-Hant-TW", "EN-us", "de-DE-u-co-phonebk", "es-419", "sr-Latn-RS"])(
    "accepts the BCP 47 tag %s",
    (tag) => {
      expect(isValidLanguage(tag)).toBe(true);
    },
  );

  it.each(["", "e", "en_US", "en-", "-en", "root", "x-foo", "en--US", "english language", "de-DE-1996-1996", "en\u0000"])(
    "refuses %j",
    (tag) => {
      expect(isValidLanguage(tag)).toBe(false);
    },
  );

  it("is at most 35 characters", () => {
    const tag35 = "zh-Hant-TW-u-ca-chinese-nu-hanidec"; // 34 characters
    expect(tag35.length).toBeLessThanOrEqual(35);
    expect(isValidLanguage(tag35)).toBe(true);
    const long = "zh-Hant-TW-u-ca-chinese-nu-hanidec-co-stroke";
    expect(long.length).toBeGreaterThan(35);
    expect(isValidLanguage(long)).toBe(false);
    const huge = "en" + "-abcdefgh".repeat(20_000); // the 180 KB language once stored per attendee
    const { field, message } = refusal(command({ language: huge }));
    expect(field).toBe("language");
    expect(message.length).toBeLessThan(250);
  });

  it("defaults to en", () => {
    expect(validateCreate(command(), eventType, NOW).language).toBe("en");
  });
});

describe("timeZone", () => {
  it.each([
    ["Europe/Berlin", "Europe/Berlin"],
    ["europe/berlin", "Europe/Berlin"],
    ["AMERICA/NEW_YORK", "America/New_York"],
    ["utc", "UTC"],
    // Links ICU resolves to other names keep the name the client chose, in IANA's letter case.
    ["America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"],
    ["Europe/Kyiv", "Europe/Kyiv"],
    ["asia/kolkata", "Asia/Kolkata"],
    ["us/eastern", "US/Eastern"],
    ["etc/utc", "Etc/UTC"],
    ["etc/gmt+5", "Etc/GMT+5"],
    ["america/port-au-prince", "America/Port-au-Prince"],
    ["AFRICA/DAR_ES_SALAAM", "Africa/Dar_es_Salaam"],
    ["antarctica/dumontdurville", "Antarctica/DumontDUrville"],
    ["antarctica/mcmurdo", "Antarctica/McMurdo"],
    ["america/knox_in", "America/Knox_IN"],
    ["pacific/yap", "Pacific/Yap"],
  ])("stores %s as %s", (given, canonical) => {
    expect(canonicalTimeZone(given)).toBe(canonical);
    expect(validateCreate(command({ timeZone: given }), eventType, NOW).timeZone).toBe(canonical);
  });

  it("spells every zone the runtime lists exactly as listed, from any letter case", () => {
    for (const zone of Intl.supportedValuesOf("timeZone")) {
      expect(canonicalTimeZone(zone.toLowerCase())).toBe(zone);
      expect(canonicalTimeZone(zone.toUpperCase())).toBe(zone);
    }
  });

  it.each(["", "+02:00", "CEST", "Europe/Nowhere", "Europe/Berlin ", "Europe/" + "x".repeat(10_000)])("refuses %j", (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
    const { field, message } = refusal(command({ timeZone: zone }));
    expect(field).toBe("timeZone");
    expect(message.length).toBeLessThan(250);
  });
});

describe("messages", () => {
  it("quote at most 100 characters of client input", () => {
    const huge = "a".repeat(900_000);
    for (const cmd of [
      command({}, { email: huge }),
      command({}, { guests: [huge] }),
      command({}, { location: { value: huge } }),
      command({ metadata: { [huge]: 1 } }),
      command({ metadata: { [huge]: "v" } }),
    ]) {
      const { message } = refusal(cmd);
      expect(message).toContain("a".repeat(100));
      expect(message).not.toContain("a".repeat(101));
    }
  });
});

describe("a computed end", () => {
  it("is held to the DateTime range", () => {
    const lastMinutes = new Date("9999-12-31T23:45:00.000Z");
    expect(refusal(command({ start: lastMinutes })).field).toBe("end");
    expect(validateCreate(command({ start: new Date("9999-12-31T23:29:59.999Z") }), eventType, NOW).end.toISOString()).toBe(
      "9999-12-31T23:59:59.999Z",
    );
  });
});
