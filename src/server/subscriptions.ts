import type http from "node:http";
import { getOperationAST, GraphQLError, parse, validate, type DocumentNode } from "graphql";
import { CloseCode } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import type { DataSource } from "typeorm";
import { WebSocketServer } from "ws";
import { bearerToken, type ApiKeyAuthenticator } from "../auth/api-key";
import type { Viewer } from "../auth/viewer";
import type { Config } from "../config";
import type { RequestContext } from "../context";
import { DomainError } from "../domain/errors";
import { exceededLimit, measureOperation, type OperationLimits } from "../graphql/complexity";
import { formatError } from "../graphql/errors";
import { gatewaySchema } from "../graphql/schema";
import { createLoaders } from "../loaders";
import type { Logger } from "../logger";
import type { BookingEventBus } from "./booking-event-bus";
import type { Metrics } from "./metrics";
import { RateLimit } from "./rate-limit";

/**
 * GraphQL subscriptions over WebSocket (the `graphql-transport-ws` protocol of the graphql-ws
 * library) on the HTTP server's /graphql path. The API key comes from
 * `connectionParams.authorization` or the upgrade request's Authorization header (`Bearer cal_…`);
 * a missing, unknown, expired or locked key closes the socket with 4403. Each subscribe passes the
 * operation limits and the viewer's rate limit, as HTTP operations do. Returns a disposer.
 */
export function serveSubscriptions(options: {
  httpServer: http.Server;
  config: Config;
  dataSource: DataSource;
  authenticator: ApiKeyAuthenticator;
  bus: BookingEventBus;
  limits: OperationLimits;
  rateLimit: RateLimit | undefined;
  metrics: Metrics;
  logger: Logger;
}): { dispose(): Promise<void> } {
  const { httpServer, config, dataSource, authenticator, bus, limits, rateLimit, metrics, logger } = options;
  const wss = new WebSocketServer({ server: httpServer, path: "/graphql", maxPayload: config.bodyLimitBytes });
  const schema = gatewaySchema();
  const documents = new Map<string, DocumentNode>();
  type Extra = { viewer?: Viewer };

  const cleanup = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema,
      onConnect: async (ctx) => {
        const fromParams = typeof ctx.connectionParams?.authorization === "string" ? ctx.connectionParams.authorization : undefined;
        const key = bearerToken(fromParams ?? ctx.extra.request.headers.authorization);
        try {
          ctx.extra.viewer = await authenticator.authenticate(key);
          return true;
        } catch (err) {
          if (!(err instanceof DomainError)) logger.warn("subscription authentication failed", { error: (err as Error).message });
          return false; // graphql-ws closes with 4403 Forbidden
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        let document = documents.get(payload.query);
        if (!document) {
          try {
            document = parse(payload.query);
          } catch (err) {
            return [err as GraphQLError];
          }
          if (documents.size >= 500) documents.clear();
          documents.set(payload.query, document);
        }
        const invalid = validate(schema, document);
        if (invalid.length) return invalid;
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError("Say which operation to run in operationName.", { extensions: { code: "OPERATION_RESOLUTION_FAILURE" } })];
        const exceeded = exceededLimit(measureOperation(schema, document, operation, payload.variables ?? {}, limits.unpagedListSize), limits);
        if (exceeded) {
          metrics.limitRejections.inc();
          return [new GraphQLError(exceeded, { extensions: { code: "QUERY_TOO_COMPLEX" } })];
        }
        const viewer = ctx.extra.viewer!;
        if (rateLimit) {
          const outcome = await rateLimit.consume(RateLimit.userBucket(viewer.user.id));
          if (!outcome.allowed) {
            const refusal = rateLimit.refusal(outcome);
            return [new GraphQLError(refusal.message, { extensions: refusal.extensions })];
          }
        }
        return undefined; // graphql-ws goes on with the standard execution
      },
      context: (ctx): RequestContext => {
        const store = { sqlStatements: 0 };
        return {
          requestId: `ws-${Math.random().toString(36).slice(2, 10)}`,
          viewer: ctx.extra.viewer,
          dataSource,
          loaders: createLoaders(dataSource, store, ctx.extra.viewer),
          logger,
          store,
          maxUnpagedBookings: config.maxUnpagedBookings,
          bookingEvents: config.bookingEvents,
          bookingEventsRetentionDays: config.bookingEventsRetentionDays,
          bookingEventBus: bus,
        };
      },
      // Errors get the same codes and masking as HTTP answers (graphql/errors.ts).
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => format(e)),
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: result.errors.map((e) => format(e)) } : undefined),
    },
    wss,
  );
  const format = (e: GraphQLError) => {
    if (!(e.originalError instanceof DomainError) && e.originalError) logger.warn("subscription error", { error: e.message });
    return formatError(e.toJSON(), e);
  };
  return {
    async dispose() {
      await cleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export { CloseCode };
