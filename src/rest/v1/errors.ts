/**
 * v1's error answers (shared/rest-v1.md "Transport"): the gateway's codes mapped to v1's statuses
 * and bodies, in one table.
 */
export class V1Error extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body.message ?? body.error));
  }
}

export const v1 = {
  noKey: () => new V1Error(401, { message: "No apiKey provided" }),
  badKey: () => new V1Error(401, { error: "Your API key is not valid." }),
  expiredKey: () => new V1Error(401, { error: "This API key is expired." }),
  locked: () => new V1Error(403, { error: "You are not authorized to perform this request." }),
  invalid: (message: string) => new V1Error(400, { message }),
  notFound: () => new V1Error(404, { message: "Booking not found" }),
  forbidden: () => new V1Error(403, { message: "Forbidden" }),
  unavailable: () => new V1Error(503, { message: "Service unavailable" }, { "retry-after": "2" }),
};

/** A GraphQL error (extensions.code, reason) as v1 answers it; `creating`: POST (event type errors). */
export function fromGraphQL(error: { message: string; extensions?: Record<string, unknown> }, creating = false): V1Error {
  const code = typeof error.extensions?.code === "string" ? error.extensions.code : "INTERNAL_SERVER_ERROR";
  const reason = error.extensions?.reason;
  switch (code) {
    case "BAD_USER_INPUT":
    case "BAD_REQUEST": {
      const field = error.extensions?.field;
      return v1.invalid(typeof field === "string" && field ? `${field}: ${error.message}` : error.message);
    }
    case "NOT_FOUND":
      return creating ? v1.invalid("Event type not found") : v1.notFound();
    case "FORBIDDEN":
      return v1.forbidden();
    case "UNAUTHENTICATED":
      return v1.badKey();
    case "CONFLICT":
      if (reason === "BOOKING_LIMIT_REACHED") return v1.invalid("booking_limit_reached");
      if (reason === "SLOT_TAKEN" || reason === "NOT_AVAILABLE") return v1.invalid("no_available_users_found_error");
      return v1.invalid(error.message);
    case "SERVICE_UNAVAILABLE":
    case "TIMEOUT":
      return v1.unavailable();
    default:
      return new V1Error(500, { message: "Internal server error" });
  }
}
