import type { ApolloServerPlugin, GraphQLRequestContext } from "@apollo/server";
import type { RawJsonSink } from "../read-path/raw-json";
import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  OperationTypeNode,
} from "graphql";
import type { DataSource } from "typeorm";
import { bearerToken } from "../auth/api-key";
import type { Authenticator } from "../auth/credentials";
import { rootFieldAccess } from "../domain/booking/booking.policy";
import type { RequestContext } from "../context";
import { DomainError, forbidden, quoteInput, unauthenticated } from "../domain/errors";
import { createLoaders } from "../loaders";
import { exceededLimit, measureOperation, type OperationLimits, type OperationMeasure } from "../graphql/complexity";
import { infrastructureError, infrastructureOf, INFRASTRUCTURE_STATUS, isExpectedError, toGraphQLError } from "../graphql/errors";
import type { Logger } from "../logger";
import { cached } from "../cached";
import type { Metrics } from "./metrics";
import { RateLimit, type RateLimitOutcome } from "./rate-limit";

/** The context Apollo hands to plugins: the request context plus the HTTP bits they need. */
export interface GatewayContext extends RequestContext {
  authorization: string | undefined;
  /** Where the read path puts the JSON texts of the fields it answered (src/read-path/raw-json.ts). */
  rawJson?: RawJsonSink;
  /** The client's address (rate-limit bucket of requests without a valid credential); worked out only when needed. */
  clientIp: () => string | undefined;
  /** This operation's rate-limit count, for the RateLimit-* headers. */
  rateLimit?: RateLimitOutcome;
  /** The budget that counted it (the keyed one, or the public one). */
  rateLimiter?: RateLimit;
  /** This request was counted by the read path's route before it handed it to Apollo: not again. */
  precounted?: { outcome: RateLimitOutcome; limiter: RateLimit };
  /** The request's logger (carrying its id); `logger` is it plus the operation and viewer once known. */
  requestLogger: Logger;
}

/** `Retry-After` of a 503 (database unavailable, pool busy, contention), seconds. */
export const RETRY_AFTER_SECONDS = 2;

const INTROSPECTION_FIELDS = new Set(["__schema", "__type", "__typename"]);

/** Operation names become metric labels; past this many distinct names they count as "other". */
const MAX_OPERATION_LABELS = 200;
const operationLabels = new Set<string>();

function operationLabel(name: string | null): string {
  if (!name) return "anonymous";
  if (operationLabels.has(name)) return name;
  if (operationLabels.size >= MAX_OPERATION_LABELS || !/^\w{1,64}$/.test(name)) return "other";
  operationLabels.add(name);
  return name;
}

/** True when every top-level field of the operation is introspection (`__schema`, `__type`, `__typename`). */
export function isIntrospectionOnly(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const check = (set: SelectionSetNode, seen: Set<string>): boolean =>
    set.selections.every((s) => {
      if (s.kind === Kind.FIELD) return INTROSPECTION_FIELDS.has(s.name.value);
      if (s.kind === Kind.INLINE_FRAGMENT) return check(s.selectionSet, seen);
      const fragment = fragments.get(s.name.value);
      if (!fragment || seen.has(s.name.value)) return false;
      return check(fragment.selectionSet, new Set([...seen, s.name.value]));
    });
  return check(operation.selectionSet, new Set());
}

/** The names of the operation's root fields, through fragments and inline fragments. */
function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): Set<string> {
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const names = new Set<string>();
  const visit = (set: SelectionSetNode, seen: Set<string>) => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) names.add(s.name.value);
      else if (s.kind === Kind.INLINE_FRAGMENT) visit(s.selectionSet, seen);
      else if (!seen.has(s.name.value) && fragments.has(s.name.value))
        visit(fragments.get(s.name.value)!.selectionSet, new Set([...seen, s.name.value]));
    }
  };
  visit(operation.selectionSet, new Set());
  return names;
}

/** What the gate works out from an operation's text alone, once per parsed operation. */
interface OperationFacts {
  introspectionOnly: boolean;
  /** The operation's measure when it declares no variables (then it cannot change between requests). */
  measure?: OperationMeasure;
}

const operationFacts = new WeakMap<OperationDefinitionNode, OperationFacts>();

function factsOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  limits: OperationLimits,
): OperationFacts {
  return cached(operationFacts, operation, () => ({
    introspectionOnly: isIntrospectionOnly(document, operation),
    measure: operation.variableDefinitions?.length ? undefined : measureOperation(schema, document, operation, {}, limits.unpagedListSize),
  }));
}

/** The limit an operation with these variables exceeds (its message), if any: the gate's check, also the read path route's. */
export function limitExceeded(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: OperationLimits,
): string | undefined {
  const facts = factsOf(schema, document, operation, limits);
  return exceededLimit(facts.measure ?? measureOperation(schema, document, operation, variables, limits.unpagedListSize), limits);
}

/** What the gate needs besides the operation: who checks keys, the limits, counting. */
export interface GateOptions {
  authenticator: Authenticator;
  limits: OperationLimits;
  metrics: Metrics;
  dataSource: DataSource;
  /** Absent when RATE_LIMIT_PER_MINUTE is 0. */
  rateLimit?: RateLimit;
  /** The per-IP budget of requests without a credential or with a booking token (PUBLIC_RATE_LIMIT_PER_MINUTE; absent when 0). */
  publicRateLimit?: RateLimit;
  /** Largest query text stored as a persisted query (bytes). */
  maxPersistedQueryBytes: number;
}

/**
 * The gate every operation passes before anything executes (each operation of a batch on its own),
 * in this order:
 * 1. an `operationName` that names no operation: OPERATION_RESOLUTION_FAILURE (HTTP 400), before
 *    anything else (no authentication, no limits, nothing executed);
 * 2. operation limits (depth, aliases, cost: QUERY_TOO_COMPLEX, HTTP 400, no SQL at all);
 * 3. database availability (SERVICE_UNAVAILABLE, 503);
 * 4. authentication and the rate limit: introspection-only operations pass without a key (so
 *    Sandbox can load the schema) and count against the client IP; everything else needs a valid
 *    key and counts against its user. A request without a valid credential counts against its IP
 *    (a made-up key gets no bucket of its own), and once the IP's budget is spent an unknown key is
 *    not even looked up;
 * 5. the operation gets its own request store (statement count, replica routing; the HTTP
 *    request's deadline) and its own loaders, so operations of a batch never share cached rows.
 * A persisted query is registered only for an authenticated operation and only up to
 * `maxPersistedQueryBytes` of query text. One hook, so the steps run in sequence (Apollo runs
 * different plugins' hooks concurrently).
 */
export function gatePlugin({
  authenticator,
  limits,
  metrics,
  dataSource,
  rateLimit,
  publicRateLimit,
  maxPersistedQueryBytes,
}: GateOptions): ApolloServerPlugin<GatewayContext> {
  const count = async (contextValue: GatewayContext, bucket: string, limiter = rateLimit) => {
    if (!limiter) return;
    // Counted already by the read path's route, which then handed the request over (server/read-path-route.ts).
    const outcome = contextValue.precounted?.limiter === limiter ? contextValue.precounted.outcome : await limiter.consume(bucket);
    contextValue.rateLimit = outcome;
    contextValue.rateLimiter = limiter;
    if (!outcome.allowed) throw limiter.refusal(outcome);
  };
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          const { contextValue, document, operation, request, schema } = rc;
          if (!operation) {
            throw new GraphQLError(
              request.operationName == null
                ? "The document has several operations: say which one to run in operationName."
                : `No operation named ${quoteInput(request.operationName)} in the document.`,
              { extensions: { code: "OPERATION_RESOLUTION_FAILURE", http: { status: 400 } } },
            );
          }
          // From here on the request's log lines name the operation (and, once known, the viewer).
          const operationName = rc.operationName ?? operation.name?.value ?? null;
          contextValue.logger = contextValue.requestLogger.child({ operationName });
          // Apollo keeps one parsed document per query text, so these are worked out once per operation.
          const facts = factsOf(schema, document, operation, limits);
          const exceeded = limitExceeded(schema, document, operation, request.variables ?? {}, limits);
          if (exceeded) {
            metrics.limitRejections.inc();
            throw new GraphQLError(exceeded, { extensions: { code: "QUERY_TOO_COMPLEX", http: { status: 400 } } });
          }
          const ipBucket = rateLimit ? RateLimit.ipBucket(contextValue.clientIp()) : "";
          if (facts.introspectionOnly) {
            rc.metrics.persistedQueryRegister = false;
            await count(contextValue, ipBucket);
            return;
          }
          if (!dataSource.isInitialized) throw infrastructureError({ code: "SERVICE_UNAVAILABLE" });
          // The operation's own bookkeeping: queries may read from replicas; a mutation and
          // everything it reads back use the primary.
          const store = {
            sqlStatements: 0,
            readOnly: operation.operation === OperationTypeNode.QUERY,
            deadline: contextValue.store.deadline,
          };
          contextValue.store = store;
          const key = bearerToken(contextValue.authorization);
          // A refused credential counts against the client IP: in the public budget for booking
          // tokens and credential-less public requests, else in the keyed one.
          const publicTraffic = authenticator.isPublicTraffic(key);
          const refusedLimiter = publicTraffic ? publicRateLimit : rateLimit;
          const refusedBucket = publicTraffic ? RateLimit.publicBucket(contextValue.clientIp()) : ipBucket;
          try {
            if (key && refusedLimiter && !authenticator.isCached(key)) {
              const spent = await refusedLimiter.spent(refusedBucket);
              if (spent) {
                contextValue.rateLimit = spent;
                contextValue.rateLimiter = refusedLimiter;
                throw refusedLimiter.refusal(spent);
              }
            }
            contextValue.viewer = await authenticator.authenticate(key, store);
          } catch (err) {
            if (err instanceof GraphQLError) throw err;
            if (err instanceof DomainError) {
              await count(contextValue, refusedBucket, refusedLimiter);
              throw toGraphQLError(err);
            }
            const infrastructure = infrastructureOf(err);
            throw infrastructure ? infrastructureError(infrastructure) : err;
          }
          const viewer = contextValue.viewer;
          contextValue.logger = contextValue.requestLogger.child({
            operationName,
            viewerId: viewer.kind === "user" ? viewer.user.id : null,
          });
          // Users count against their own budget; the public viewer and booking tokens against the
          // client IP's public budget (PUBLIC_RATE_LIMIT_PER_MINUTE), apart from keyed traffic.
          if (viewer.kind === "user") await count(contextValue, RateLimit.userBucket(viewer.user.id));
          else await count(contextValue, RateLimit.publicBucket(contextValue.clientIp()), publicRateLimit);
          // What this kind of viewer may ask at all (the policy), before anything runs.
          for (const field of rootFieldNames(document, operation)) {
            const access = rootFieldAccess(viewer, operation.operation, field);
            if (access === "unauthenticated") throw toGraphQLError(unauthenticated());
            if (access === "forbidden")
              throw toGraphQLError(
                forbidden(`A booking token only reads, cancels and reschedules its own booking; ${field} is not allowed with it.`),
              );
          }
          contextValue.loaders = createLoaders(dataSource, store, viewer);
          const query = request.query;
          // Persisted queries are stored for users only (never for the public viewer or a token).
          if (viewer.kind !== "user" || (query !== undefined && Buffer.byteLength(query, "utf8") > maxPersistedQueryBytes)) {
            rc.metrics.persistedQueryRegister = false;
          }
        },
        async didEncounterErrors({ contextValue }) {
          // Refused before it was counted (unparsable, invalid, too complex, no such operation):
          // still a request of this client IP's, so hostile documents are not free.
          if (rateLimit && !contextValue.rateLimit)
            contextValue.rateLimit = await rateLimit.consume(RateLimit.ipBucket(contextValue.clientIp()));
        },
        async willSendResponse({ response, contextValue }) {
          const limiter = contextValue.rateLimiter ?? rateLimit;
          if (limiter && contextValue.rateLimit) {
            for (const [name, value] of limiter.headers(contextValue.rateLimit)) response.http.headers.set(name, value);
          }
          // Infrastructure failures inside resolvers: the response's status says so too.
          const body = response.body;
          const errors = body?.kind === "single" ? (body.singleResult.errors ?? []) : [];
          const status = Math.max(0, ...errors.map((e) => INFRASTRUCTURE_STATUS[String(e.extensions?.code)] ?? 0));
          if (status && (response.http.status ?? 200) < status) response.http.status = status;
          // A 503 is worth retrying soon: say when.
          if (status === 503 || response.http.status === 503) response.http.headers.set("retry-after", String(RETRY_AFTER_SECONDS));
        },
      };
    },
  };
}

/** The metrics and the log line of one answered GraphQL request (the logging plugin's, also the read path route's). */
export function logRequest(
  metrics: Metrics,
  request: {
    started: bigint;
    operationName: string | null;
    operationType: string;
    context: GatewayContext;
    status: number;
    errorCodes: string[];
  },
): void {
  const { context, operationName, operationType, errorCodes } = request;
  const seconds = Number(process.hrtime.bigint() - request.started) / 1e9;
  metrics.requests.inc({ operation: operationLabel(operationName), type: operationType, code: errorCodes[0] ?? "OK" });
  metrics.duration.observe({ type: operationType }, seconds);
  metrics.sqlStatements.observe(context.store.sqlStatements);
  if (!context.logger.enabled("info")) return; // LOG_LEVEL above info: no line to build
  // The request's logger carries what was known in time (request id, operation, viewer); the rest here.
  const bound = context.logger.bindings();
  context.logger.info("graphql request", {
    ...("requestId" in bound ? {} : { requestId: context.requestId }),
    ...("operationName" in bound ? {} : { operationName }),
    operationType,
    ...("viewerId" in bound ? {} : { viewerId: context.viewer?.user.id ?? null }),
    status: request.status,
    durationMs: seconds * 1000,
    sqlStatements: context.store.sqlStatements,
    errorCodes,
    ...(context.rateLimit ? { rateLimitBucket: context.rateLimit.bucket } : {}),
  });
}

/**
 * One structured log line per GraphQL request (request id, operation, viewer, duration, status,
 * error codes, SQL statements; never the API key), unexpected errors logged with their stack, and
 * the statement count echoed in `X-SQL-Statements` outside production.
 */
export function loggingPlugin(metrics: Metrics, exposeSqlCount: boolean): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            if (!isExpectedError(error)) {
              const original = error.originalError ?? error;
              contextValue.logger.error("unexpected error", {
                path: error.path?.join("."),
                error: original.message,
                stack: original.stack,
              });
            }
          }
        },
        async willSendResponse(rc: GraphQLRequestContext<GatewayContext>) {
          const { contextValue, response } = rc;
          const body = response.body;
          const errors = body?.kind === "single" ? (body.singleResult.errors ?? []) : [];
          if (exposeSqlCount) response.http.headers.set("x-sql-statements", String(contextValue.store.sqlStatements));
          logRequest(metrics, {
            started,
            operationName: rc.operationName ?? rc.operation?.name?.value ?? null,
            operationType: rc.operation?.operation ?? "unknown",
            context: contextValue,
            status: response.http.status ?? 200,
            errorCodes: [...new Set(errors.map((e) => (typeof e.extensions?.code === "string" ? e.extensions.code : "UNKNOWN")))],
          });
        },
      };
    },
  };
}
