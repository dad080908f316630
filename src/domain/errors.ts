/**
 * Domain errors: every rule violation the gateway reports is one of these codes. The GraphQL layer
 * maps each code to `extensions.code` and an HTTP status in exactly one place (graphql/errors.ts).
 */
export type DomainErrorCode = "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND" | "BAD_USER_INPUT" | "CONFLICT";

/** Reasons carried by CONFLICT errors (`extensions.reason`). */
export type ConflictReason = "SLOT_TAKEN" | "ALREADY_CANCELLED" | "INVALID_TRANSITION";

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
