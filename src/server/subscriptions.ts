import type http from "node:http";
import {
  getOperationAST,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  OperationTypeNode,
} from "graphql";
import type { Context, SubscribePayload } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import type { DataSource } from "typeorm";
import { WebSocketServer } from "ws";
import { bearerToken } from "../auth/api-key";
import type { Authenticator } from "../auth/credentials";
import type { Viewer } from "../auth/viewer";
import type { Config } from "../config";
import type { RequestContext } from "../context";
import { DomainError } from "../domain/errors";
import { exceededLimit, measureOperation, type OperationLimits } from "../graphql/complexity";
import { formatError, withCode } from "../graphql/errors";
import { gatewaySchema } from "../graphql/schema";
import { createLoaders } from "../loaders";
import type { Logger } from "../logger";
import type { BookingEventBus } from "./booking-event-bus";
import type { Metrics } from "./metrics";
import { RateLimit } from "./rate-limit";
import { inSpan, nameOperation, SpanKind } from "../tracing";

/** Subscriptions one WebSocket connection may hold at once. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 20;
/** How long shutdown waits for clients to answer the close handshake before cutting them off. */
const CLOSE_GRACE_MS = 1_000;
/** Close code for "the database is unavailable, try again" (a code graphql-ws clients retry on). */
const TRY_AGAIN_LATER = 1013;

/**
 * GraphQL subscriptions over WebSocket (the `graphql-transport-ws` protocol of the graphql-ws
 * library) on the HTTP server's /graphql path; queries and mutations stay on HTTP (their
 * deadlines, logs and replicas live there). The API key comes from `connectionParams.authorization`
 * or the upgrade request's Authorization header (`Bearer cal_…`); a missing, unknown, expired or
 * locked key closes the socket with 4403, counted against the client IP's rate-limit budget as on
 * HTTP (once spent, keys from that IP are not even looked up); a database that cannot be reached
 * closes it with 1013 (try again). Each subscribe passes the operation limits, introspection
 * settings and the viewer's rate limit; a connection holds at most MAX_SUBSCRIPTIONS_PER_CONNECTION.
 * Each stream re-authenticates the key before it reads. Returns a disposer.
 */
export function serveSubscriptions(options: {
  httpServer: http.Server;
  config: Config;
  dataSource: DataSource;
  authenticator: Authenticator;
  /** The client's address of an upgrade request (TRUST_PROXY applied). */
  clientIp: (req: import("node:http").IncomingMessage) => string | undefined;
  bus: BookingEventBus;
  limits: OperationLimits;
  rateLimit: RateLimit | undefined;
  metrics: Metrics;
  logger: Logger;
}): { dispose(): Promise<void> } {
  const { httpServer, config, dataSource, authenticator, bus, limits, rateLimit, metrics, logger, clientIp } = options;
  // Upgrades are handed over here rather than through ws's `server` option, which also forwards the
  // HTTP server's own errors (a busy port at listen) to graphql-ws, which prints them as an
  // "internal error" with a stack. Another path is refused with 400 by handleUpgrade, as before.
  const wss = new WebSocketServer({ noServer: true, path: "/graphql", maxPayload: config.bodyLimitBytes });
  const onUpgrade = (req: import("node:http").IncomingMessage, socket: import("node:stream").Duplex, head: Buffer) =>
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  httpServer.on("upgrade", onUpgrade);
  const schema = gatewaySchema();
  const rules = config.introspection ? specifiedRules : [...specifiedRules, NoSchemaIntrospectionCustomRule];
  type Extra = { viewer?: Viewer; key?: string };
  const refuse = (message: string, code: string) => [new GraphQLError(message, { extensions: { code } })];

  /** A subscribe message: parsed, validated, limited and rate-limited; the execution arguments, or why not. */
  const start = async (
    ctx: Context<Record<string, unknown> | undefined, Extra>,
    payload: SubscribePayload,
  ): Promise<ExecutionArgs | readonly GraphQLError[]> => {
    if (Object.keys(ctx.subscriptions).length >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      return refuse(`At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection.`, "BAD_REQUEST");
    }
    let document: DocumentNode;
    try {
      document = parse(payload.query);
    } catch (err) {
      return [withCode(err as GraphQLError, "GRAPHQL_PARSE_FAILED")];
    }
    const operation = getOperationAST(document, payload.operationName);
    if (operation) nameOperation(operation.operation, operation.name?.value ?? null);
    const invalid = validate(schema, document, rules);
    if (invalid.length) return invalid.map((e) => withCode(e, "GRAPHQL_VALIDATION_FAILED"));
    if (!operation) return refuse("Say which operation to run in operationName.", "OPERATION_RESOLUTION_FAILURE");
    if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
      return refuse("Only subscriptions run over WebSocket; send queries and mutations as HTTP POST to /graphql.", "BAD_REQUEST");
    }
    const exceeded = exceededLimit(measureOperation(schema, document, operation, payload.variables ?? {}, limits.unpagedListSize), limits);
    if (exceeded) {
      metrics.limitRejections.inc();
      return refuse(exceeded, "QUERY_TOO_COMPLEX");
    }
    const viewer = ctx.extra.viewer!;
    if (rateLimit) {
      const outcome = await rateLimit.consume(RateLimit.userBucket(viewer.user.id));
      if (!outcome.allowed) {
        const refusal = rateLimit.refusal(outcome);
        return [new GraphQLError(refusal.message, { extensions: refusal.extensions })];
      }
    }
    const key = ctx.extra.key;
    const store = { sqlStatements: 0 };
    const contextValue: RequestContext = {
      requestId: `ws-${Math.random().toString(36).slice(2, 10)}`,
      viewer,
      dataSource,
      loaders: createLoaders(dataSource, store, viewer),
      logger,
      store,
      maxUnpagedBookings: config.maxUnpagedBookings,
      bookingEvents: config.bookingEvents,
      bookingEventsRetentionDays: config.bookingEventsRetentionDays,
      bookingEventBus: bus,
      reauthenticate: () => authenticator.authenticate(key),
    };
    return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
  };

  const cleanup = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema,
      onConnect: async (ctx) => {
        const fromParams = typeof ctx.connectionParams?.authorization === "string" ? ctx.connectionParams.authorization : undefined;
        const key = bearerToken(fromParams ?? ctx.extra.request.headers.authorization);
        const ipBucket = RateLimit.ipBucket(clientIp(ctx.extra.request));
        try {
          if (rateLimit && (await rateLimit.spent(ipBucket))) return false;
          const viewer = await authenticator.authenticate(key);
          // Subscriptions are for users (API key or JWT): not the public viewer, not a booking token.
          if (viewer.kind !== "user") {
            if (rateLimit) await rateLimit.consume(ipBucket).catch(() => undefined);
            return false;
          }
          ctx.extra.viewer = viewer;
          ctx.extra.key = key;
          return true;
        } catch (err) {
          if (err instanceof DomainError) {
            if (rateLimit) await rateLimit.consume(ipBucket).catch(() => undefined);
            return false; // graphql-ws closes with 4403 Forbidden
          }
          logger.warn("subscription authentication failed", { error: (err as Error).message });
          ctx.extra.socket.close(TRY_AGAIN_LATER, "The database is unavailable; try again.");
          return false;
        }
      },
      // Each subscribe message is a trace of its own (under production's trace budget, it takes a token):
      // its parse, validation, rate limit and SQL nest in it, rather than each being a trace of one span.
      // Its events are traces of their own too (the graphql instrumentation's `subscription` span).
      onSubscribe: (ctx, _id, payload) => inSpan("subscribe", {}, () => start(ctx, payload), SpanKind.SERVER),
      // Errors get the same codes and masking as HTTP answers (graphql/errors.ts).
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => format(e)),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => format(e)) } : undefined,
    },
    wss,
  );
  const format = (e: GraphQLError) => {
    if (!(e.originalError instanceof DomainError) && e.originalError) logger.warn("subscription error", { error: e.message });
    return formatError(e.toJSON(), e);
  };
  return {
    async dispose() {
      httpServer.off("upgrade", onUpgrade);
      // Clients get 1001 (going away); one that does not answer the close handshake in time is cut off.
      await Promise.race([cleanup.dispose(), new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
