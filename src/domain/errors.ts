/**
 * Domain errors: every rule violation the gateway reports is one of these codes. The GraphQL layer
 * maps each code to `extensions.code` and an HTTP status in exactly one place (graphql/errors.ts).
 */
export type DomainErrorCode = "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND" | "BAD_USER_INPUT" | "CONFLICT";

/** Reasons carried by CONFLICT errors (`extensions.reason`). */
export type ConflictReason = "SLOT_TAKEN" | "NOT_AVAILABLE" | "BOOKING_LIMIT_REACHED" | "ALREADY_CANCELLED" | "INVALID_TRANSITION";

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** Extra, client-visible details: `field` for BAD_USER_INPUT, `reason` for CONFLICT. */
    readonly details: { field?: string; reason?: ConflictReason } = {},
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const unauthenticated = (message = "A valid API key is required: send `Authorization: Bearer cal_…`.") =>
  new DomainError("UNAUTHENTICATED", message);
export const forbidden = (message: string) => new DomainError("FORBIDDEN", message);
export const notFound = (message: string) => new DomainError("NOT_FOUND", message);
export const badInput = (field: string, message: string) => new DomainError("BAD_USER_INPUT", message, { field });
export const conflict = (reason: ConflictReason, message: string) => new DomainError("CONFLICT", message, { reason });

/** The most characters of client input an error message quotes. */
export const MAX_QUOTED_INPUT = 100;

/**
 * Client input as an error message may show it: a string in JSON quotes (so control characters and
 * quotes are visible as escapes), a list joined with ", ", anything else as text; never more than
 * MAX_QUOTED_INPUT characters of it. Longer input is cut (never inside a surrogate pair) and followed
 * by "…" and its length, so a 900 KB value cannot come back in a 900 KB message.
 */
export function quoteInput(value: unknown): string {
  const text = Array.isArray(value) ? value.join(", ") : String(value);
  const quote = typeof value === "string" ? JSON.stringify : (s: string) => s;
  if (text.length <= MAX_QUOTED_INPUT) return quote(text);
  const last = text.charCodeAt(MAX_QUOTED_INPUT - 1);
  const cut = last >= 0xd800 && last <= 0xdbff ? MAX_QUOTED_INPUT - 1 : MAX_QUOTED_INPUT;
  return `${quote(text.slice(0, cut))}… (${text.length} characters)`;
}

/** A JSON string literal: quotes around anything but quotes and backslashes, or escapes. */
const QUOTED = /"(?:[^"\\]|\\.)*"/g;

/**
 * A message someone else wrote about client input (graphql-js echoes a variable's or a literal's
 * whole value: `Variable "$uid" got invalid value "…900 KB…"`) with every quoted string longer than
 * MAX_QUOTED_INPUT characters cut as quoteInput cuts it. For formatError's pass-through messages.
 */
export function clipQuotedInput(message: string): string {
  return message.replace(QUOTED, (literal) => {
    if (literal.length <= MAX_QUOTED_INPUT + 2) return literal;
    try {
      return quoteInput(JSON.parse(literal) as string);
    } catch {
      return quoteInput(literal.slice(1, -1));
    }
  });
}
