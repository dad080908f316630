import { GraphQLError, GraphQLScalarType, Kind } from "graphql";
import { formatUtcIso } from "../db/utc";
import { quoteInput } from "../domain/errors";
import { FIRST_INSTANT_ISO, isInstantInRange, LAST_INSTANT_ISO } from "../domain/instants";

const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-](\d{2}):(\d{2}))$/i;

/** Parses an ISO-8601 date-time that carries an offset (`Z` or `±hh:mm`); anything else is refused. */
export function parseIsoDateTime(text: string): Date | undefined {
  const m = ISO_WITH_OFFSET.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? "0"].map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  const date = new Date(text.trim());
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The client's value for a message: a string quoted (at most 100 characters of it), else its kind. */
function described(value: unknown): string {
  if (typeof value === "string") return quoteInput(value);
  return value === null ? "null" : Array.isArray(value) ? "a list" : `a ${typeof value}`;
}

function coerce(value: unknown): Date {
  const date = typeof value === "string" ? parseIsoDateTime(value) : undefined;
  if (!date) {
    throw new GraphQLError(`DateTime must be an ISO-8601 string with an offset, e.g. "2026-07-20T10:00:00Z" (got ${described(value)}).`, {
      extensions: { code: "BAD_USER_INPUT" },
    });
  }
  if (!isInstantInRange(date)) {
    throw new GraphQLError(`DateTime must lie between ${FIRST_INSTANT_ISO} and ${LAST_INSTANT_ISO} (got ${described(value)}).`, {
      extensions: { code: "BAD_USER_INPUT" },
    });
  }
  return date;
}

/**
 * `DateTime`: ISO-8601 with offset on input, within 0001-01-01T00:00:00.000Z … 9999-12-31T23:59:59.999Z
 * (domain/instants.ts); always emitted in UTC with milliseconds.
 */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: "DateTime",
  description:
    'An instant as an ISO-8601 string. Input must carry an offset ("2026-07-20T12:00:00+02:00" or "…Z"); output is always UTC, e.g. "2026-07-20T10:00:00.000Z".',
  serialize(value) {
    const date = value instanceof Date ? value : typeof value === "string" ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime())) throw new GraphQLError("DateTime cannot represent an invalid date.");
    return formatUtcIso(date);
  },
  parseValue: coerce,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) {
      throw new GraphQLError("DateTime must be a string.", { extensions: { code: "BAD_USER_INPUT" } });
    }
    return coerce(ast.value);
  },
});
