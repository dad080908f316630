import pg from "pg";

/**
 * Cal.com stores times in `timestamp(3) without time zone` columns holding UTC. node-postgres would
 * read and write that type in the process's local zone; these settings pin both directions to UTC so
 * `TZ` never shifts a booking. Applied once, when the data source module loads.
 */
const TIMESTAMP_WITHOUT_TIME_ZONE_OID = 1114;

const digit = (text: string, i: number) => text.charCodeAt(i) - 48;

/**
 * Parses `2026-07-20 10:00:00.123` (no zone; Postgres's text form, or its JSON form with a `T`) as a
 * UTC instant. A list page parses hundreds of these, so the common shape (a four-digit year from 100
 * on, up to six fraction digits) is read digit by digit; anything else (years before 100 or after
 * 9999, BC, infinity) takes the general path.
 */
export function parseUtcTimestamp(text: string): Date | string {
  const length = text.length;
  if (
    length >= 19 &&
    length <= 26 &&
    text.charCodeAt(4) === 45 &&
    (text.charCodeAt(10) === 32 || text.charCodeAt(10) === 84) &&
    (length === 19 || (length > 20 && text.charCodeAt(19) === 46))
  ) {
    const year = digit(text, 0) * 1000 + digit(text, 1) * 100 + digit(text, 2) * 10 + digit(text, 3);
    if (year >= 100) {
      // Milliseconds: the first three fraction digits (Date holds no finer).
      const ms = length > 20 ? digit(text, 20) * 100 + (length > 21 ? digit(text, 21) * 10 : 0) + (length > 22 ? digit(text, 22) : 0) : 0;
      return new Date(
        Date.UTC(
          year,
          digit(text, 5) * 10 + digit(text, 6) - 1,
          digit(text, 8) * 10 + digit(text, 9),
          digit(text, 11) * 10 + digit(text, 12),
          digit(text, 14) * 10 + digit(text, 15),
          digit(text, 17) * 10 + digit(text, 18),
          ms,
        ),
      );
    }
  }
  if (text === "infinity" || text === "-infinity") return text;
  return parseGeneral(text.replace("T", " "));
}

function parseGeneral(text: string): Date {
  if (text.endsWith(" BC")) {
    const date = parseGeneral(text.slice(0, -3));
    date.setUTCFullYear(1 - date.getUTCFullYear());
    return date;
  }
  const [day, time] = text.split(" ");
  const [year, month, dayOfMonth] = day.split("-").map(Number);
  const [hms, fraction = ""] = time.split(".");
  const [hour, minute, second] = hms.split(":").map(Number);
  const date = new Date(Date.UTC(2000, month - 1, dayOfMonth, hour, minute, second, Number(fraction.padEnd(3, "0").slice(0, 3))));
  date.setUTCFullYear(year);
  return date;
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));
/** 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the range formatted here. */
const FIRST_FOUR_DIGIT_YEAR = -62_135_596_800_000;
const LAST_FOUR_DIGIT_YEAR = 253_402_300_799_999;
const DAY_MS = 86_400_000;

/**
 * `date.toISOString()`, about three times faster: a list page writes hundreds of these, and V8's
 * own formatting goes through its date cache. Years 1 to 9999 are formatted here (days to civil
 * date after Howard Hinnant's algorithm); other years (signed six-digit form) and invalid dates are
 * left to `toISOString` itself.
 */
export function formatUtcIso(date: Date): string {
  const time = date.getTime();
  if (!(time >= FIRST_FOUR_DIGIT_YEAR && time <= LAST_FOUR_DIGIT_YEAR)) return date.toISOString();
  const days = Math.floor(time / DAY_MS);
  let ms = time - days * DAY_MS;
  // Days since 0000-03-01 split into 400-year eras; the year starts in March so leap days come last.
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1_460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(ms / 3_600_000);
  ms -= hour * 3_600_000;
  const minute = Math.floor(ms / 60_000);
  ms -= minute * 60_000;
  const second = Math.floor(ms / 1_000);
  ms -= second * 1_000;
  return (
    TWO_DIGITS[Math.floor(year / 100)] +
    TWO_DIGITS[year % 100] +
    "-" +
    TWO_DIGITS[month] +
    "-" +
    TWO_DIGITS[day] +
    "T" +
    TWO_DIGITS[hour] +
    ":" +
    TWO_DIGITS[minute] +
    ":" +
    TWO_DIGITS[second] +
    "." +
    THREE_DIGITS[ms] +
    "Z"
  );
}

pg.types.setTypeParser(TIMESTAMP_WITHOUT_TIME_ZONE_OID, parseUtcTimestamp);
// Date parameters are sent as `…+00:00`; casting that to `timestamp` keeps the UTC wall time.
pg.defaults.parseInputDatesAsUTC = true;

export { pg };
