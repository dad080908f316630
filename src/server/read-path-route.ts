import type http from "node:http";
import type { GraphQLSchema } from "graphql";
import type { DataSource } from "typeorm";
import { bearerToken } from "../auth/api-key";
import type { Authenticator } from "../auth/credentials";
import type { RequestStore } from "../db/sql-counter";
import type { OperationLimits } from "../graphql/complexity";
import { createLoaders } from "../loaders";
import type { ReadPath } from "../read-path/executor";
import { RawJsonSink } from "../read-path/raw-json";
import { endWithParts } from "./json-response";
import type { Metrics } from "./metrics";
import { limitExceeded, logRequest, type GatewayContext } from "./plugins";
import { operationSpan } from "../tracing";
import { RateLimit } from "./rate-limit";
import type { RequestLocals } from "./request-edge";

/**
 * The read path's route, called by the front door (front-door.ts) with the parsed body: a POST
 * /graphql whose query text the read path has compiled before (so Apollo parsed and validated it) is
 * answered here, without Apollo's request pipeline, which cost more CPU than the compiled statement
 * itself on a page of 50 bookings. It does what the gate and logging plugins do for such a request,
 * with their own functions: the operation limits, the credential (only one already verified and
 * cached, or whose lookup another request is running: a new key goes through Apollo first), the
 * viewer's rate-limit budget, the log line and metrics. Anything else, or anything that goes
 * differently (an error of any kind, a viewer that is not a user, a text never compiled, a persisted
 * query, an `Accept` asking for another media type), is handed over to Express and Apollo
 * unchanged, counted once: a budget this route consumed is passed along and not consumed again.
 */
export interface ReadPathRouteOptions {
  readPath: ReadPath;
  schema: GraphQLSchema;
  authenticator: Authenticator;
  limits: OperationLimits;
  rateLimit: RateLimit | undefined;
  metrics: Metrics;
  dataSource: DataSource;
  /** The rest of a request's context (the same factory as Apollo's). */
  context: (req: http.IncomingMessage, locals: RequestLocals, rawJson: RawJsonSink) => GatewayContext;
  exposeSqlCount: boolean;
}

/** What the route did: answered, or handed over with the rate-limit budget it already counted (if any). */
export type RouteOutcome = { answered: true } | { answered: false; precounted: GatewayContext["precounted"] };

/** The route: a request with its parsed JSON body and the edge's locals (request id, store with the deadline). */
export type ReadPathRoute = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: unknown,
  locals: RequestLocals,
) => Promise<RouteOutcome>;

/** Accept headers whose single-result media type is Apollo's default, `application/json; charset=utf-8`. */
const PLAIN_ACCEPT = new Set([undefined, "", "*/*", "application/json"]);

const HAND_OVER: RouteOutcome = { answered: false, precounted: undefined };

export function readPathRoute(options: ReadPathRouteOptions): ReadPathRoute {
  const { readPath, schema, authenticator, limits, rateLimit, metrics, dataSource } = options;
  return async (req, res, requestBody, locals) => {
    const started = process.hrtime.bigint();
    const body = requestBody as { query?: unknown; operationName?: unknown; variables?: unknown; extensions?: unknown } | undefined;
    if (
      req.method !== "POST" ||
      !body ||
      typeof body !== "object" ||
      Array.isArray(body) ||
      typeof body.query !== "string" ||
      body.extensions !== undefined
    )
      return HAND_OVER;
    if (!PLAIN_ACCEPT.has(req.headers.accept)) return HAND_OVER;
    const operationName = typeof body.operationName === "string" ? body.operationName : body.operationName == null ? null : undefined;
    const variables = body.variables == null ? {} : body.variables;
    if (operationName === undefined || typeof variables !== "object" || Array.isArray(variables)) return HAND_OVER;
    const known = readPath.known(body.query, operationName);
    if (!known) return HAND_OVER;
    const key = bearerToken(req.headers.authorization);
    if (!key || !dataSource.isInitialized) return HAND_OVER;
    try {
      if (limitExceeded(schema, known.document, known.operation, variables as Record<string, unknown>, limits)) return HAND_OVER;
    } catch {
      return HAND_OVER; // variables the measure cannot read: Apollo reports them
    }

    const rawJson = new RawJsonSink();
    const context = options.context(req, locals, rawJson);
    const store: RequestStore = { sqlStatements: 0, readOnly: true, deadline: context.store.deadline };
    context.store = store;
    // Only a credential known without a statement of this request's: a new key goes through Apollo
    // first (and its gate), and requests for it meanwhile wait for that lookup (auth/api-key.ts).
    const viewer = await authenticator.knownViewer(key, store);
    if (viewer?.kind !== "user") return HAND_OVER;
    context.viewer = viewer;
    context.logger = context.requestLogger.child({
      operationName: operationName ?? known.operation.name?.value ?? null,
      viewerId: viewer.user.id,
    });
    context.loaders = createLoaders(dataSource, store, viewer);
    const precounted = (): RouteOutcome => ({
      answered: false,
      precounted: context.rateLimit && rateLimit ? { outcome: context.rateLimit, limiter: rateLimit } : undefined,
    });
    if (rateLimit) {
      context.rateLimit = await rateLimit.consume(RateLimit.userBucket(viewer.user.id));
      context.rateLimiter = rateLimit;
      // Refused: Apollo answers 429 the usual way, with this count.
      if (!context.rateLimit.allowed) return precounted();
    }
    const result = await operationSpan("query", operationName ?? known.operation.name?.value ?? null, () =>
      readPath.run(body.query as string, known.document, operationName, context, variables as Record<string, unknown>),
    ).catch(() => undefined);
    if (res.headersSent) return { answered: true }; // the deadline answered
    if (!result || result.errors) return precounted();
    const parts = rawJson.parts(JSON.stringify(result) + "\n");
    if (context.rateLimit && rateLimit) for (const [name, value] of rateLimit.headers(context.rateLimit)) res.setHeader(name, value);
    if (options.exposeSqlCount) res.setHeader("x-sql-statements", String(store.sqlStatements));
    res.statusCode = 200;
    res.setHeader("content-type", "application/json; charset=utf-8");
    endWithParts(res, parts);
    metrics.readPathRoute.inc();
    logRequest(metrics, {
      started,
      operationName: operationName ?? known.operation.name?.value ?? null,
      operationType: "query",
      context,
      status: 200,
      errorCodes: [],
    });
    return { answered: true };
  };
}
