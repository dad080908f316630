import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";

/**
 * The v1 routes' inputs and outputs as zod schemas (shared/rest-v1.md): the handlers validate with
 * them and the OpenAPI 3.1 document (`GET /v1/openapi.json`) is generated from the same objects, so
 * the document cannot drift from the code.
 */
extendZodWithOpenApi(z);

/** One value or a repeated query parameter, as Express parses it. */
const many = <T extends z.ZodType>(item: T) => z.union([item, z.array(item)]).transform((v) => (Array.isArray(v) ? v : [v]));
/** Ids and counts as Postgres `int` holds them: a larger number is the client's error (400), never a 500. */
const MAX_INT = 2_147_483_647;
const id = z.number().int().min(1).max(MAX_INT);
const positiveInt = z.coerce.number().int().min(1).max(MAX_INT);
const isoDate = z.string().datetime({ offset: true, message: "must be an ISO 8601 date-time" });

export const ListQuery = z
  .object({
    apiKey: z.string().optional().openapi({ description: "The API key (or send Authorization: Bearer cal_…)." }),
    userId: many(positiveInt).optional().openapi({ description: "Organizer ids (admins only); one or repeated." }),
    attendeeEmail: many(z.string().min(1).max(320))
      .optional()
      .openapi({ description: "Attendee e-mails (case-insensitive); one or repeated." }),
    dateFrom: isoDate.optional().openapi({ description: "startTime ≥ this instant." }),
    dateTo: isoDate.optional().openapi({ description: "endTime ≤ this instant." }),
    status: z.literal("upcoming").optional().openapi({ description: "upcoming: startTime ≥ now." }),
    sortBy: z.enum(["createdAt", "updatedAt"]).optional(),
    order: z.enum(["asc", "desc"]).optional(),
    expand: z.literal("team").optional().openapi({ description: "team: add eventType {title, slug, team}." }),
    take: positiveInt.optional().openapi({ description: "Page size; paging applies only with page too." }),
    page: positiveInt.optional().openapi({ description: "Page number (1-based); paging applies only with take too." }),
  })
  .strict();

export const IdParam = z.object({ id: positiveInt });

export const GetQuery = z.object({ apiKey: z.string().optional(), expand: z.literal("team").optional() }).strict();

const Location = z.string().min(1).max(1_000).openapi({ description: "A location value, e.g. integrations:daily, or an address." });
const Responses = z
  .object({
    name: z.string(),
    email: z.string(),
    location: z.union([Location, z.object({ value: z.string(), optionValue: z.string().optional() })]).optional(),
    guests: z.array(z.string()).optional(),
    notes: z.string().optional(),
    smsReminderNumber: z.string().optional(),
  })
  .passthrough();

export const CreateBody = z
  .object({
    eventTypeId: id,
    start: isoDate,
    end: isoDate.optional(),
    timeZone: z.string().min(1),
    language: z.string().optional(),
    metadata: z.record(z.string(), z.string()),
    responses: Responses.optional(),
    name: z.string().optional(),
    email: z.string().optional(),
    guests: z.array(z.string()).optional(),
    notes: z.string().optional(),
    location: Location.optional(),
    recurringEventId: z.string().optional(),
    userId: id.optional().openapi({ description: "Book as this user (system admins; organization admins for members)." }),
  })
  .strict()
  .superRefine((b, ctx) => {
    const legacy =
      b.name !== undefined || b.email !== undefined || b.guests !== undefined || b.notes !== undefined || b.location !== undefined;
    if (b.responses && legacy)
      ctx.addIssue({
        code: "custom",
        path: ["responses"],
        message: "send either responses or the top-level name, email, guests, notes, location, not both",
      });
    if (!b.responses && (b.name === undefined || b.email === undefined))
      ctx.addIssue({ code: "custom", path: ["responses"], message: "responses (or name and email) is required" });
  });

const Status = z.enum([
  "accepted",
  "pending",
  "cancelled",
  "rejected",
  "awaiting_host",
  "ACCEPTED",
  "PENDING",
  "CANCELLED",
  "REJECTED",
  "AWAITING_HOST",
]);
export const PatchBody = z
  .object({
    title: z.string().optional(),
    description: z.string().nullable().optional(),
    startTime: isoDate.optional(),
    endTime: isoDate.optional(),
    start: isoDate.optional(),
    end: isoDate.optional(),
    status: Status.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.start !== undefined && b.startTime !== undefined)
      ctx.addIssue({ code: "custom", path: ["start"], message: "send start or startTime, not both" });
    if (b.end !== undefined && b.endTime !== undefined)
      ctx.addIssue({ code: "custom", path: ["end"], message: "send end or endTime, not both" });
  });

export const CancelQuery = z
  .object({
    apiKey: z.string().optional(),
    allRemainingBookings: z.enum(["true", "false"]).optional(),
    cancellationReason: z.string().max(5_000).optional(),
  })
  .strict();

const PublicBooking = z
  .object({
    id: z.number().int(),
    userId: z.number().int().nullable(),
    description: z.string().nullable(),
    eventTypeId: z.number().int().nullable(),
    uid: z.string(),
    title: z.string(),
    startTime: z.string(),
    endTime: z.string(),
    attendees: z.array(
      z.object({ id: z.number().int(), email: z.string(), name: z.string(), timeZone: z.string(), locale: z.string().nullable() }),
    ),
    user: z.object({ email: z.string(), name: z.string().nullable(), timeZone: z.string(), locale: z.string().nullable() }).nullable(),
    payment: z.array(z.object({ id: z.number().int(), success: z.boolean(), paymentOption: z.string().nullable() })),
    metadata: z.unknown(),
    status: z.enum(["accepted", "pending", "cancelled", "rejected", "awaiting_host"]),
    responses: z.unknown(),
    fromReschedule: z.string().nullable(),
    cancelledBy: z.string().nullable(),
    rescheduledBy: z.string().nullable(),
    createdAt: z.string(),
    eventType: z
      .object({ title: z.string(), slug: z.string(), team: z.object({ name: z.string(), slug: z.string().nullable() }).nullable() })
      .nullable()
      .optional(),
  })
  .openapi("Booking");

const ErrorBody = z.object({ message: z.string().optional(), error: z.string().optional() }).openapi("Error");

const errors = {
  400: { description: "Invalid input, or the booking rules refused it.", content: { "application/json": { schema: ErrorBody } } },
  401: { description: "No, unknown or expired API key.", content: { "application/json": { schema: ErrorBody } } },
  403: { description: "Locked user, or a write the viewer may not make.", content: { "application/json": { schema: ErrorBody } } },
  429: { description: "Rate limited (Retry-After).", content: { "application/json": { schema: ErrorBody } } },
  503: { description: "The database is unavailable.", content: { "application/json": { schema: ErrorBody } } },
};
const notFound = { 404: { description: "No such booking visible to the viewer.", content: { "application/json": { schema: ErrorBody } } } };

/** The OpenAPI 3.1 document of the v1 routes, built from the schemas above. */
export function openApiDocument(): unknown {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "apiKeyQuery", { type: "apiKey", in: "query", name: "apiKey" });
  registry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  const security: Array<Record<string, string[]>> = [{ apiKeyQuery: [] }, { bearer: [] }];
  const ok = (schema: z.ZodType, description: string) => ({ 200: { description, content: { "application/json": { schema } } } });
  registry.registerPath({
    method: "get",
    path: "/v1/bookings",
    summary: "List bookings",
    security,
    request: { query: ListQuery },
    responses: { ...ok(z.object({ bookings: z.array(PublicBooking) }), "The viewer's bookings."), ...errors },
  });
  registry.registerPath({
    method: "post",
    path: "/v1/bookings",
    summary: "Create a booking",
    security,
    request: { body: { content: { "application/json": { schema: CreateBody } } } },
    responses: { ...ok(PublicBooking.extend({ references: z.array(z.unknown()) }), "The booking made (not wrapped)."), ...errors },
  });
  registry.registerPath({
    method: "get",
    path: "/v1/bookings/{id}",
    summary: "Get a booking",
    security,
    request: { params: IdParam, query: GetQuery },
    responses: { ...ok(z.object({ booking: PublicBooking }), "The booking."), ...notFound, ...errors },
  });
  registry.registerPath({
    method: "patch",
    path: "/v1/bookings/{id}",
    summary: "Edit a booking",
    security,
    request: { params: IdParam, body: { content: { "application/json": { schema: PatchBody } } } },
    responses: { ...ok(z.object({ booking: PublicBooking }), "The booking after the change."), ...notFound, ...errors },
  });
  const cancelled = z.object({ success: z.literal(true), message: z.string(), bookingId: z.number().int(), bookingUid: z.string() });
  for (const path of ["/v1/bookings/{id}/cancel", "/v1/bookings/{id}"]) {
    registry.registerPath({
      method: "delete",
      path,
      summary: "Cancel a booking",
      security,
      request: { params: IdParam, query: CancelQuery },
      responses: { ...ok(cancelled, "Cancelled."), ...notFound, ...errors },
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: { title: "Cal.com API v1 bookings (served by the GraphQL gateway)", version: "1.0.0" },
    servers: [{ url: "/" }],
  });
}
