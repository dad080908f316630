import { createRequire } from "node:module";
import path from "node:path";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { parse, type DocumentNode } from "graphql";
import { Counter, type Registry } from "prom-client";
import type { DataSource } from "typeorm";
import type { z } from "zod";
import { bearerToken } from "../../auth/api-key";
import type { Authenticator } from "../../auth/credentials";
import type { Viewer } from "../../auth/viewer";
import type { Config } from "../../config";
import type { RequestContext } from "../../context";
import type { RequestStore } from "../../db/sql-counter";
import { mayActAs } from "../../domain/booking/booking.policy";
import { DomainError } from "../../domain/errors";
import { formatError, infrastructureOf } from "../../graphql/errors";
import { jitRunner } from "../../graphql/jit";
import type { ReadPath } from "../../read-path/executor";
import { gatewaySchema } from "../../graphql/schema";
import { createLoaders } from "../../loaders";
import type { Logger } from "../../logger";
import { RateLimit, type RateLimitOutcome } from "../../server/rate-limit";
import { fromGraphQL, v1, V1Error } from "./errors";
import { CancelQuery, CreateBody, GetQuery, IdParam, ListQuery, openApiDocument, PatchBody } from "./schemas";
import type { RequestLocals } from "../../server/request-edge";
import { PUBLIC_FIELDS, publicShape, REFERENCE_FIELDS, TEAM_FIELDS } from "./shape";

/**
 * Cal.com API v1's bookings routes (shared/rest-v1.md) as a thin transport: each route validates
 * its input with the zod schemas of schemas.ts, then runs the matching GraphQL operation of the
 * gateway's own schema in-process, as the key's user, with a request context built as for
 * /graphql (loaders, statement store, deadline). So every rule (the visibility policy, the
 * lifecycle and availability rules, transactions, events and webhooks, input hygiene) is the
 * GraphQL path's own, and the answer is mapped to v1's shapes and error bodies (errors.ts).
 * Keys: `?apiKey=` (these routes only, never logged) or `Authorization: Bearer`; rate limits: the
 * GraphQL budget, with v1's X-RateLimit-* headers beside the standard ones.
 */

export interface V1Options {
  config: Config;
  dataSource: DataSource;
  authenticator: Authenticator;
  rateLimit?: RateLimit;
  registry: Registry;
  logger: Logger;
  /** The read path /graphql uses (undefined with READ_PATH=false). */
  readPath?: ReadPath;
}

const ROUTES = [
  { path: "/bookings", allow: "GET,POST" },
  { path: "/bookings/:id", allow: "GET,PATCH,DELETE" },
  { path: "/bookings/:id/cancel", allow: "DELETE" },
];

const documents = new Map<string, DocumentNode>();
const documentOf = (text: string) => {
  let document = documents.get(text);
  if (!document) documents.set(text, (document = parse(text)));
  return document;
};

/** The first problem of a failed parse, naming the field. */
function invalid(error: z.ZodError): V1Error {
  const issue = error.issues[0];
  const field = issue.path.length ? issue.path.join(".") : "input";
  return v1.invalid(issue.code === "unrecognized_keys" ? `Unrecognized key(s): ${issue.keys.join(", ")}` : `${field}: ${issue.message}`);
}

function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(result.error);
  return result.data;
}

export function v1Router(options: V1Options): Router {
  const { config, dataSource, authenticator, rateLimit, logger, readPath } = options;
  const router = express.Router();
  const requests =
    (options.registry.getSingleMetric("gateway_rest_requests_total") as Counter<"route" | "method" | "status"> | undefined) ??
    new Counter({
      name: "gateway_rest_requests_total",
      help: "REST v1 requests by route, method and status.",
      labelNames: ["route", "method", "status"],
      registers: [options.registry],
    });

  // One metric and one log line per request: the route pattern, never the query string (apiKey).
  router.use((req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    res.on("finish", () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? "unmatched";
      requests.inc({ route: `/v1${route}`, method: req.method, status: String(res.statusCode) });
      logger.info("rest request", {
        requestId: (res.locals.gateway as RequestLocals | undefined)?.requestId,
        method: req.method,
        path: `/v1${req.path}`,
        status: res.statusCode,
        durationMs: Math.round(performance.now() - started),
      });
    });
    next();
  });

  const docsEnabled = config.introspection;
  router.get("/openapi.json", (_req, res) => {
    if (!docsEnabled) return void res.status(404).json({ message: "Not found" });
    res.json(openApiDocument());
  });
  const swaggerDir = path.dirname(createRequire(__filename).resolve("swagger-ui-dist/package.json"));
  router.get("/docs", (_req, res) => {
    if (!docsEnabled) return void res.status(404).json({ message: "Not found" });
    res.type("html").send(DOCS_PAGE);
  });
  router.use("/docs/assets", (req, res, next) =>
    docsEnabled ? express.static(swaggerDir, { index: false })(req, res, next) : void res.status(404).end(),
  );

  /** Authenticates the key (v1's answers), counts the request, and builds the request context. */
  const begin = async (req: Request, res: Response): Promise<RequestContext> => {
    const locals = res.locals.gateway as RequestLocals;
    const queryKey = typeof req.query.apiKey === "string" ? req.query.apiKey : undefined;
    const key = queryKey ?? bearerToken(req.headers.authorization);
    if (!key) throw v1.noKey();
    const store: RequestStore = { sqlStatements: 0, readOnly: req.method === "GET", deadline: locals.store.deadline };
    if (!dataSource.isInitialized) throw v1.unavailable();
    const ipBucket = RateLimit.ipBucket(req.ip);
    let viewer: Viewer;
    try {
      if (rateLimit && !authenticator.apiKeys.isCached(key)) {
        const spent = await rateLimit.spent(ipBucket);
        if (spent) throw limited(spent);
      }
      viewer = await authenticator.apiKeys.authenticate(key, store);
    } catch (err) {
      if (err instanceof V1Error) throw err;
      if (err instanceof DomainError) {
        if (rateLimit) await rateLimit.consume(ipBucket);
        if (err.code === "FORBIDDEN") throw v1.locked();
        throw (err as { keyExpired?: boolean }).keyExpired ? v1.expiredKey() : v1.badKey();
      }
      if (infrastructureOf(err)) throw v1.unavailable();
      throw err;
    }
    if (rateLimit) {
      const outcome = await rateLimit.consume(RateLimit.userBucket(viewer.user.id));
      for (const [name, value] of v1Headers(rateLimit, outcome)) res.setHeader(name, value);
      if (!outcome.allowed) throw limited(outcome);
    }
    return contextFor(viewer, store, locals.requestId);
  };

  const limited = (outcome: RateLimitOutcome) =>
    new V1Error(429, { message: "Rate limit exceeded" }, Object.fromEntries(v1Headers(rateLimit!, outcome)));

  const contextFor = (viewer: Viewer, store: RequestStore, requestId: string): RequestContext => ({
    requestId,
    viewer,
    dataSource,
    store,
    logger,
    loaders: createLoaders(dataSource, store, viewer),
    maxUnpagedBookings: config.maxUnpagedBookings,
    bookingEvents: config.bookingEvents,
    bookingEventsRetentionDays: config.bookingEventsRetentionDays,
    bookingTokens: undefined,
  });

  /** Runs a GraphQL operation as the context's viewer; its first error as v1 answers it. */
  // Run as /graphql's operations are: the read path, then graphql-jit (GRAPHQL_JIT=false: graphql-js).
  const runner = jitRunner(gatewaySchema(), { jit: config.graphqlJit, readPath });
  const run = async <T>(ctx: RequestContext, text: string, variables: Record<string, unknown>, creating = false): Promise<T> => {
    const document = documentOf(text);
    const result = await runner(document, null, ctx, variables, text);
    const error = result.errors?.[0];
    if (error) {
      const formatted = formatError(error.toJSON(), error);
      if (formatted.extensions?.code === "INTERNAL_SERVER_ERROR")
        logger.error("rest v1 error", { error: error.message, stack: error.originalError?.stack });
      throw fromGraphQL({ message: formatted.message, extensions: formatted.extensions }, creating);
    }
    return result.data as T;
  };

  const handle = (work: (req: Request, res: Response) => Promise<unknown>) => async (req: Request, res: Response) => {
    try {
      const body = await work(req, res);
      if (!res.headersSent) res.status(200).json(body);
    } catch (err) {
      if (res.headersSent) return;
      const answer = err instanceof V1Error ? err : infrastructureOf(err) ? v1.unavailable() : undefined;
      if (!answer) {
        logger.error("rest v1 error", { error: (err as Error).message, stack: (err as Error).stack });
        return void res.status(500).json({ message: "Internal server error" });
      }
      for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
      res.status(answer.status).json(answer.body);
    }
  };

  router.get(
    "/bookings",
    handle(async (req, res) => {
      const ctx = await begin(req, res);
      const q = parseWith(ListQuery, req.query);
      // v1 takes attendeeEmail repeated; GraphQL's filter names one: the list service takes several.
      if (q.attendeeEmail) ctx.extraBookingFilter = { attendeeEmails: q.attendeeEmail };
      const now = new Date();
      const from = q.dateFrom ? new Date(q.dateFrom) : undefined;
      const upcomingFrom = q.status === "upcoming" ? (from && from > now ? from : now) : from;
      const paged = q.take !== undefined && q.page !== undefined;
      const data = await run<{ bookings: { nodes: Array<Record<string, unknown> & { status: string }> } }>(
        ctx,
        `query V1List($filter: BookingFilter, $orderBy: BookingOrder, $take: Int, $page: Int) {
         bookings(filter: $filter, orderBy: $orderBy, take: $take, page: $page) { nodes { ${PUBLIC_FIELDS} ${q.expand ? TEAM_FIELDS : ""} } } }`,
        {
          filter: {
            ...(q.userId ? { userIds: q.userId } : {}),
            ...(upcomingFrom ? { dateFrom: upcomingFrom.toISOString() } : {}),
            ...(q.dateTo ? { dateTo: new Date(q.dateTo).toISOString() } : {}),
          },
          orderBy: {
            field: q.sortBy === "createdAt" ? "CREATED_AT" : q.sortBy === "updatedAt" ? "UPDATED_AT" : "START_TIME",
            direction: q.order === "desc" ? "DESC" : "ASC",
          },
          take: paged ? q.take : null,
          page: paged ? q.page : null,
        },
      );
      return { bookings: data.bookings.nodes.map((b) => publicShape(b, Boolean(q.expand))) };
    }),
  );

  router.post(
    "/bookings",
    express.json({ limit: config.bodyLimitBytes }),
    handle(async (req, res) => {
      let ctx = await begin(req, res);
      const b = parseWith(CreateBody, req.body ?? {});
      if (b.userId !== undefined && b.userId !== ctx.viewer!.user.id) {
        // Booking as another user: the policy says who may (system admins; organization admins for members).
        const actAs = await mayActAs(ctx, b.userId);
        if (!actAs) throw v1.forbidden();
        ctx = contextFor(actAs, ctx.store, ctx.requestId);
      }
      const location = b.responses?.location ?? b.location;
      const responses = b.responses
        ? { ...b.responses, location: typeof location === "string" ? { value: location } : location }
        : { name: b.name, email: b.email, guests: b.guests, notes: b.notes, ...(location ? { location: { value: location } } : {}) };
      const { name, email, guests, notes, smsReminderNumber } = responses as Record<string, unknown>;
      const data = await run<{ createBooking: Record<string, unknown> & { status: string; references: unknown[] } }>(
        ctx,
        `mutation V1Create($in: CreateBookingInput!) { createBooking(input: $in) { ${PUBLIC_FIELDS} ${REFERENCE_FIELDS} } }`,
        {
          in: {
            eventTypeId: b.eventTypeId,
            start: b.start,
            ...(b.end ? { end: b.end } : {}),
            timeZone: b.timeZone,
            language: b.language ?? "en",
            metadata: b.metadata,
            ...(b.recurringEventId ? { recurringEventId: b.recurringEventId } : {}),
            responses: {
              name,
              email,
              ...(guests ? { guests } : {}),
              ...(notes !== undefined ? { notes } : {}),
              ...(smsReminderNumber !== undefined ? { smsReminderNumber } : {}),
              ...((responses as { location?: unknown }).location ? { location: (responses as { location?: unknown }).location } : {}),
            },
          },
        },
        true,
      );
      return { ...publicShape(data.createBooking, false), references: data.createBooking.references ?? [] };
    }),
  );

  router.get(
    "/bookings/:id",
    handle(async (req, res) => {
      const ctx = await begin(req, res);
      const { id } = parseWith(IdParam, req.params);
      const q = parseWith(GetQuery, req.query);
      const data = await run<{ booking: Record<string, unknown> & { status: string } }>(
        ctx,
        `query V1Get($id: Int!) { booking(id: $id) { ${PUBLIC_FIELDS} ${q.expand ? TEAM_FIELDS : ""} } }`,
        { id },
      );
      return { booking: publicShape(data.booking, Boolean(q.expand)) };
    }),
  );

  router.patch(
    "/bookings/:id",
    express.json({ limit: config.bodyLimitBytes }),
    handle(async (req, res) => {
      const ctx = await begin(req, res);
      const { id } = parseWith(IdParam, req.params);
      const b = parseWith(PatchBody, req.body ?? {});
      const start = b.startTime ?? b.start;
      const end = b.endTime ?? b.end;
      const input = {
        ...(b.title !== undefined ? { title: b.title } : {}),
        ...(b.description !== undefined ? { description: b.description } : {}),
        ...(start ? { start } : {}),
        ...(end ? { end } : {}),
        ...(b.status ? { status: b.status.toUpperCase() } : {}),
      };
      if (Object.keys(input).length === 0) throw v1.invalid("Nothing to change: send title, description, startTime, endTime or status.");
      const data = await run<{ updateBooking: Record<string, unknown> & { status: string } }>(
        ctx,
        `mutation V1Patch($id: Int!, $in: UpdateBookingInput!) { updateBooking(id: $id, input: $in) { ${PUBLIC_FIELDS} } }`,
        { id, in: input },
      );
      return { booking: publicShape(data.updateBooking, false) };
    }),
  );

  const cancel = handle(async (req, res) => {
    const ctx = await begin(req, res);
    const { id } = parseWith(IdParam, req.params);
    const q = parseWith(CancelQuery, req.query);
    const data = await run<{ cancelBooking: { id: number; uid: string } }>(
      ctx,
      `mutation V1Cancel($id: Int!, $reason: String, $all: Boolean!) { cancelBooking(id: $id, cancellationReason: $reason, allRemainingBookings: $all) { id uid } }`,
      { id, reason: q.cancellationReason ?? "Not Provided", all: q.allRemainingBookings === "true" },
    );
    return {
      success: true,
      message: "Booking successfully cancelled.",
      bookingId: data.cancelBooking.id,
      bookingUid: data.cancelBooking.uid,
    };
  });
  router.delete("/bookings/:id/cancel", cancel);
  router.delete("/bookings/:id", cancel);

  // Any other method on a known route: 405 with the route's own Allow list.
  for (const route of ROUTES) {
    router.all(route.path, (_req, res) => {
      res.setHeader("allow", route.allow);
      res.status(405).json({ message: `Method Not Allowed (Allow: ${route.allow})` });
    });
  }
  // A body that is not JSON: v1's 400.
  router.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err.type === "entity.too.large")
      return void res.status(413).json({ message: `Request body larger than ${config.bodyLimitBytes} bytes.` });
    if (err.status && err.status < 500) return void res.status(400).json({ message: "Malformed JSON body." });
    next(err);
  });
  return router;
}

/** v1's X-RateLimit-* headers (reset as Unix milliseconds) beside the standard RateLimit-* ones. */
function v1Headers(rateLimit: RateLimit, outcome: RateLimitOutcome): Array<[string, string]> {
  const standard = rateLimit.headers(outcome);
  const result = outcome.result;
  if (!result) return standard;
  return [
    ...standard,
    ["x-ratelimit-limit", String(rateLimit.perMinute)],
    ["x-ratelimit-remaining", String(Math.max(0, rateLimit.perMinute - result.consumedPoints))],
    ["x-ratelimit-reset", String(Date.now() + result.msBeforeNext)],
  ];
}

/** Swagger UI from swagger-ui-dist's own files (served under /v1/docs/assets): no CDN. */
const DOCS_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Cal.com API v1 (gateway)</title>
<link rel="stylesheet" href="/v1/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/v1/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/v1/openapi.json", dom_id: "#swagger-ui" });</script>
</body></html>`;
