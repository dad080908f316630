import type { ApolloServerPlugin, GraphQLRequestContext } from "@apollo/server";
import { Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from "graphql";
import { bearerToken, type ApiKeyAuthenticator } from "../auth/api-key";
import type { RequestContext } from "../context";
import { DomainError } from "../domain/errors";
import { isExpectedError, toGraphQLError } from "../graphql/errors";
import type { Logger } from "../logger";
import type { RequestStore } from "../db/sql-counter";

/** The context Apollo hands to plugins: the request context plus the HTTP bits they need. */
export interface GatewayContext extends RequestContext {
  authorization: string | undefined;
  store: RequestStore;
}

const INTROSPECTION_FIELDS = new Set(["__schema", "__type", "__typename"]);

/** True when every top-level field of the operation is introspection (`__schema`, `__type`, `__typename`). */
export function isIntrospectionOnly(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
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

/**
 * Authentication, decided once per operation before anything executes: introspection-only
 * operations pass without a key (so Sandbox can load the schema); everything else needs a valid key.
 */
export function authPlugin(authenticator: ApiKeyAuthenticator): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, document, operation }) {
          if (operation && isIntrospectionOnly(document, operation)) return;
          try {
            contextValue.viewer = await authenticator.authenticate(bearerToken(contextValue.authorization));
          } catch (err) {
            throw err instanceof DomainError ? toGraphQLError(err) : err;
          }
        },
      };
    },
  };
}

/**
 * One structured log line per GraphQL request (request id, operation, viewer, duration, status,
 * error codes, SQL statements; never the API key), unexpected errors logged with their stack, and
 * the statement count echoed in `X-SQL-Statements` outside production.
 */
export function loggingPlugin(logger: Logger, exposeSqlCount: boolean): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            if (!isExpectedError(error)) {
              const original = error.originalError ?? error;
              logger.error("unexpected error", {
                requestId: contextValue.requestId,
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
          logger.info("graphql request", {
            requestId: contextValue.requestId,
            operationName: rc.operationName ?? rc.operation?.name?.value ?? null,
            operationType: rc.operation?.operation ?? null,
            viewerId: contextValue.viewer?.user.id ?? null,
            status: response.http.status ?? 200,
            durationMs: Number(process.hrtime.bigint() - started) / 1e6,
            sqlStatements: contextValue.store.sqlStatements,
            errorCodes: [...new Set(errors.map((e) => String(e.extensions?.code ?? "UNKNOWN")))],
          });
        },
      };
    },
  };
}
