import { createHash } from "node:crypto";
import http from "node:http";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from "@apollo/server/plugin/disabled";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";
import { InMemoryLRUCache } from "@apollo/utils.keyvaluecache";
import cors from "cors";
import type { DocumentNode } from "graphql";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { DataSource } from "typeorm";
import { ApiKeyAuthenticator } from "../auth/api-key";
import { BookingTokens } from "../auth/booking-token";
import { Authenticator } from "../auth/credentials";
import { JwtAuthenticator } from "../auth/jwt";
import type { Config } from "../config";
import { ReadinessProbe } from "../db/readiness";
import { formatError } from "../graphql/errors";
import { jitExecutor } from "../graphql/jit";
import { ReadPath } from "../read-path/executor";
import type { RawJsonSink } from "../read-path/raw-json";
import { readPathRoute } from "./read-path-route";
import { frontDoor } from "./front-door";
import { sampleAtTheDoor } from "../tracing";
import { graphiqlRouter } from "./graphiql";
import { homePage } from "./home-page";
import { clientAddress, requestLocals, startDeadline, type RequestLocals } from "./request-edge";
import { gatewaySchema } from "../graphql/schema";
import { createLoaders } from "../loaders";
import type { Logger } from "../logger";
import { Metrics } from "./metrics";
import { apolloHandler, inSequence } from "./http-graphql";
import { gatePlugin, loggingPlugin, type GatewayContext } from "./plugins";
import { RateLimit } from "./rate-limit";
import { RedisKeyValueCache } from "./redis-cache";
import Redis from "ioredis";
import { Counter, Gauge } from "prom-client";
import { GatewayClient } from "../db/pg-client";
import { WebhookWorker } from "../domain/webhooks/webhook-delivery.worker";
import { BookingEventBus } from "./booking-event-bus";
import { serveSubscriptions } from "./subscriptions";

/**
 * Apollo's store of parsed and validated documents, in Apollo's own size measure (the length of a
 * document's JSON, about a sixth of what it holds in memory): Apollo's default of 30 MiB kept about
 * 24,000 distinct query texts, ~190 MB of heap; this keeps about 3,000 (~25 MB).
 */
export const DOCUMENT_STORE_MIB = 4;

/** Largest query text stored as a persisted query (contract: 100 KiB). */
export const MAX_PERSISTED_QUERY_BYTES = 102_400;

/** The longest any Redis command may take before the in-memory fallback decides, ms. */
export const REDIS_COMMAND_TIMEOUT_MS = 200;

/** Headers a browser client (e.g. the hosted Apollo Sandbox) may send; listed explicitly for preflights. */
const CORS_ALLOWED_HEADERS = [
  "authorization",
  "content-type",
  "apollo-require-preflight",
  "x-apollo-operation-name",
  "apollographql-client-name",
  "apollographql-client-version",
  "x-request-id",
];

export interface Gateway {
  httpServer: http.Server;
  /** Starts listening; resolves with the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting requests and lets in-flight ones finish (does not close the DataSource). */
  stop(): Promise<void>;
}

/** What the process knows beyond the config: the demo key shown on the home page (an embedded database). */
export interface GatewayExtras {
  demoKey?: string;
}

/** Wires HTTP + Apollo: no domain rules here. */
export async function createGateway(config: Config, dataSource: DataSource, logger: Logger, extras: GatewayExtras = {}): Promise<Gateway> {
  const app = express();
  app.disable("x-powered-by");
  // GraphQL answers are not revalidated by clients; hashing every body for an ETag is wasted CPU.
  app.set("etag", false);
  // The listener is the front door (read path's requests) in front of the app, set once both exist.
  const httpServer = http.createServer();
  // Behind a reverse proxy (TRUST_PROXY=true) the client is the address the nearest proxy appended
  // to X-Forwarded-For (one hop: entries a client wrote itself are not believed).
  app.set("trust proxy", config.browser.trustProxy ? 1 : false);
  // Credentials by shape: API keys, JWTs, booking tokens, or none (the public viewer).
  const bookingTokens = new BookingTokens(
    config.browser.bookingTokenSecret,
    config.browser.bookingTokenTtlDays,
    config.browser.bookingTokens,
  );
  const authenticator = new Authenticator(
    dataSource,
    new ApiKeyAuthenticator(dataSource, config.apiKeyCacheSeconds),
    new JwtAuthenticator(dataSource, config.browser, config.apiKeyCacheSeconds),
    bookingTokens,
    config.browser.publicBooking,
  );
  const production = config.nodeEnv === "production";
  const metrics = new Metrics(dataSource);
  const readiness = new ReadinessProbe(dataSource, logger);
  // One Redis client (REDIS_URL) for the shared rate-limit counters and the persisted-query cache.
  // Every command is bounded (a hung Redis must not hang requests); commands while disconnected
  // fail at once instead of queueing. Callers fall back (in-memory limiter, cache miss).
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
        connectTimeout: 2_000,
      })
    : undefined;
  redis?.on("error", (err) => logger.warn("redis error", { error: err.message }));
  const rateLimit =
    config.rateLimitPerMinute > 0 ? new RateLimit(config.rateLimitPerMinute, redis, metrics, logger, databaseScope(dataSource)) : undefined;
  const publicRateLimit =
    config.browser.publicRateLimitPerMinute > 0
      ? new RateLimit(config.browser.publicRateLimitPerMinute, redis, metrics, logger, databaseScope(dataSource))
      : undefined;
  const limits = {
    maxDepth: config.maxQueryDepth,
    maxAliases: config.maxAliases,
    maxCost: config.maxQueryCost,
    unpagedListSize: config.maxUnpagedBookings,
  };

  const readPathOperations = new Counter({
    name: "gateway_read_path_operations_total",
    help: "Operations offered to the read path, by who answered: compiled (one statement per root field) or executor (resolvers).",
    labelNames: ["path"] as const,
    registers: [metrics.registry],
  });
  const readPath = config.readPath ? new ReadPath(gatewaySchema(), dataSource, (path) => readPathOperations.inc({ path })) : undefined;
  const apollo = new ApolloServer<GatewayContext>({
    // Queries the read path compiles run as one statement per root field (READ_PATH=false: never);
    // the rest compiled by graphql-jit (GRAPHQL_JIT=false: interpreted by graphql-js).
    ...(config.graphqlJit || readPath
      ? { gateway: jitExecutor(gatewaySchema(), { jit: config.graphqlJit, readPath }) }
      : { schema: gatewaySchema() }),
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false, // main.ts owns the shutdown order
    formatError,
    allowBatchedHttpRequests: config.batchedRequests,
    documentStore: new InMemoryLRUCache<DocumentNode>({ maxSize: DOCUMENT_STORE_MIB * 2 ** 20 }),
    persistedQueries: redis ? { cache: new RedisKeyValueCache(redis, logger), ttl: 24 * 3600 } : undefined,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Apollo's drain step also closes the WebSocket server (graphql-ws), so stop() ends both.
      { serverWillStart: async () => ({ drainServer: async () => void (await subscriptions?.dispose()) }) },
      // Cache-control hints would wrap every field resolver; the gateway sends no cache headers.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      config.sandbox
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageDisabled(),
      gatePlugin({
        authenticator,
        limits,
        metrics,
        dataSource,
        rateLimit,
        publicRateLimit,
        maxPersistedQueryBytes: MAX_PERSISTED_QUERY_BYTES,
      }),
      loggingPlugin(metrics, !production),
    ],
  });
  await apollo.start();

  // Subscriptions (graphql-ws on /graphql), woken by the booking-event bus, when booking events are on.
  const url = primaryUrl(dataSource);
  const bus = config.bookingEvents && url ? new BookingEventBus(url, dataSource, logger) : undefined;
  bus?.start();
  // Webhook deliveries: graphile-worker jobs queued by the mutations (domain/webhooks).
  const webhooks =
    config.bookingEvents && url ? new WebhookWorker({ url, config: config.webhooks, logger, registry: metrics.registry }) : undefined;
  webhooks?.start();
  // Declared here, read by the drain step above once the server stops.
  const subscriptions = bus
    ? serveSubscriptions({
        httpServer,
        config,
        dataSource,
        authenticator,
        bus,
        limits,
        rateLimit,
        metrics,
        logger,
        clientIp: (req) => clientAddress(req, config.browser.trustProxy),
      })
    : undefined;
  if (bus) {
    new Gauge({
      name: "gateway_booking_events_horizon_age_seconds",
      help: "Age of the oldest running transaction that holds a transaction id, in the whole Postgres cluster: the change feed and subscriptions show no event committed after it began until it ends.",
      registers: [metrics.registry],
      async collect() {
        if (!dataSource.isInitialized) return;
        const [row] = (await dataSource
          .query(
            `SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(xact_start)), 0)::float8 AS age FROM pg_stat_activity WHERE backend_xid IS NOT NULL`,
          )
          .catch(() => [])) as Array<{ age: number }>;
        if (row) this.set(row.age);
      },
    });
  }
  new Gauge({
    name: "gateway_db_prepared_statements_max",
    help: "The most named prepared statements one database connection of this instance holds (bounded per connection; the read path binds every value, so this counts query shapes).",
    registers: [metrics.registry],
    collect() {
      this.set(GatewayClient.maxPrepared());
    },
  });
  new Gauge({
    name: "gateway_booking_event_subscribers",
    help: "Open booking-event subscriptions on this instance.",
    registers: [metrics.registry],
    collect() {
      this.set(bus?.subscribers ?? 0);
    },
  });

  // Request id + per-request store (SQL statement count), handed to the GraphQL context.
  app.use((req: Request, res: Response, next: NextFunction) => {
    requestLocals(req, res);
    next();
  });

  /** A GraphQL request's context (the gate plugin authenticates and fills in the viewer). */
  const requestContext = (
    req: http.IncomingMessage,
    locals: RequestLocals,
    rawJson: RawJsonSink,
    precounted?: GatewayContext["precounted"],
  ): GatewayContext => {
    const requestLogger = logger.child({ requestId: locals.requestId });
    return {
      rawJson,
      requestId: locals.requestId,
      store: locals.store,
      authorization: req.headers.authorization,
      clientIp: () => clientAddress(req, config.browser.trustProxy),
      dataSource,
      loaders: createLoaders(dataSource, locals.store),
      logger: requestLogger,
      requestLogger,
      maxUnpagedBookings: config.maxUnpagedBookings,
      bookingEvents: config.bookingEvents,
      bookingEventsRetentionDays: config.bookingEventsRetentionDays,
      bookingTokens,
      precounted,
    };
  };

  const graphqlCors = cors({
    origin: config.corsOrigins ?? true,
    methods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: ["x-request-id", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after"],
    maxAge: 600,
  });
  // The GraphQL route first, its handlers run as one (see inSequence). Requests the front door read
  // arrive with their body (or its parse error), request id, deadline and CORS headers in place.
  app.use(
    "/graphql",
    inSequence(
      graphqlCors,
      // The deadline starts before anything that could wait (the rate limiter's Redis included).
      requestTimeout(config.requestTimeoutMs),
      (_req: Request, res: Response, next: NextFunction) => next((res.locals.gateway as RequestLocals).bodyError),
      express.json({ limit: config.bodyLimitBytes }),
      batchSizeCap(config.maxBatchSize),
      apolloHandler(apollo, async (req, res, rawJson) =>
        requestContext(req, res.locals.gateway as RequestLocals, rawJson, res.locals.precounted as GatewayContext["precounted"]),
      ),
    ),
  );

  // Cal.com API v1's bookings routes over the same schema and services (rest/v1).
  // Loaded on the first /v1 request (zod and the OpenAPI generator cost ~12 MB resident).
  let v1: Router | undefined;
  app.use("/v1", requestTimeout(config.requestTimeoutMs), (req: Request, res: Response, next: NextFunction) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, on the first /v1 request
    v1 ??= (require("../rest/v1/router") as typeof import("../rest/v1/router")).v1Router({
      config,
      dataSource,
      authenticator,
      rateLimit,
      registry: metrics.registry,
      logger,
      readPath,
    });
    v1(req, res, next);
  });

  // Outside production, `/` says where everything is (production: 404, as for any unknown path).
  if (!production) {
    app.get("/", (req, res) => {
      res.type("html").send(
        homePage({
          base: `${req.protocol}://${req.get("host") ?? "localhost"}`,
          demoKey: extras.demoKey,
          restDocs: config.introspection,
          graphiql: config.sandbox,
        }),
      );
    });
  }

  // GraphiQL from node_modules (works offline), beside Apollo Sandbox on GET /graphql.
  if (config.sandbox) app.use("/graphiql", graphiqlRouter({ demoKey: extras.demoKey }));

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  // On a connection of its own: a busy pool is not a dead database.
  app.get("/readyz", async (_req, res) => {
    if (await readiness.check()) res.json({ status: "ready" });
    else res.status(503).json({ status: "unavailable" });
  });

  app.get("/metrics", async (_req, res) => {
    res.setHeader("content-type", metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  // Body-parser failures (bad JSON, too large) as GraphQL-shaped errors with a code.
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    const message =
      err.type === "entity.too.large"
        ? `Request body larger than ${config.bodyLimitBytes} bytes.`
        : status < 500
          ? "Malformed request body."
          : "Internal server error.";
    if (status >= 500) logger.error("http error", { error: err.message, stack: err.stack });
    res.status(status).json({ errors: [{ message, extensions: { code: status < 500 ? "BAD_REQUEST" : "INTERNAL_SERVER_ERROR" } }] });
  });

  // Query texts the read path compiled before skip Express and Apollo (same checks, same answers).
  // Tracing (when on) samples each request as the server emits it (tracing.ts, Door).
  sampleAtTheDoor(httpServer);
  httpServer.on(
    "request",
    readPath
      ? frontDoor({
          app,
          route: readPathRoute({
            readPath,
            schema: gatewaySchema(),
            authenticator,
            limits,
            rateLimit,
            metrics,
            dataSource,
            context: requestContext,
            exposeSqlCount: !production,
          }),
          cors: graphqlCors,
          bodyLimitBytes: config.bodyLimitBytes,
          requestTimeoutMs: config.requestTimeoutMs,
        })
      : app,
  );

  return {
    httpServer,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(port, host, () => resolve((httpServer.address() as { port: number }).port));
      }),
    stop: async () => {
      // Every step runs even when one fails (a server that never listened cannot be drained, and the
      // webhook worker must still stop before its database goes); the first failure is reported.
      const steps = [
        () => apollo.stop(), // drains HTTP and WebSocket clients (the plugins above)
        () => bus?.stop(),
        () => webhooks?.stop(),
        () => readiness.close(),
        () => (redis && redis.status !== "end" ? redis.quit().catch(() => undefined) : undefined),
      ];
      let failure: Error | undefined;
      for (const step of steps) {
        try {
          await step();
        } catch (err) {
          failure ??= err instanceof Error ? err : new Error("a shutdown step failed", { cause: err });
        }
      }
      if (failure) throw failure;
    },
  };
}

/** The primary's connection URL of the data source. */
function primaryUrl(dataSource: DataSource): string | undefined {
  const options = dataSource.options as { url?: string; replication?: { master?: { url?: string } } };
  return options.url ?? options.replication?.master?.url;
}

/** A short name of the database the data source serves (server and database, no credentials). */
function databaseScope(dataSource: DataSource): string {
  const url = primaryUrl(dataSource);
  if (!url) return "";
  const parsed = new URL(url);
  return createHash("sha256").update(`${parsed.hostname}:${parsed.port}${parsed.pathname}`).digest("hex").slice(0, 12);
}

/**
 * MAX_BATCH_SIZE: a batch (a JSON array of operations, BATCHED_REQUESTS=true) of more operations is
 * refused with HTTP 400 BAD_REQUEST before any of them runs.
 */
function batchSizeCap(max: number) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!Array.isArray(req.body) || req.body.length <= max) return next();
    res.status(400).json({
      errors: [
        {
          message: `A batch may hold at most ${max} operations (MAX_BATCH_SIZE); this one has ${req.body.length}.`,
          extensions: { code: "BAD_REQUEST" },
        },
      ],
    });
  };
}

/** REQUEST_TIMEOUT_MS on an Express route (request-edge.ts's `startDeadline`). */
function requestTimeout(ms: number) {
  return (req: Request, res: Response, next: NextFunction) => {
    startDeadline(res, requestLocals(req, res), ms);
    next();
  };
}
