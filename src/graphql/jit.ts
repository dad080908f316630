import type { GatewayExecutor, GatewayInterface } from "@apollo/server-gateway-interface";
import { execute, GraphQLError, type DocumentNode, type ExecutionResult, type GraphQLSchema } from "graphql";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import { cached, LruMap } from "../cached";
import type { ReadPath, ReadPathContext } from "../read-path/executor";
import { operationSpan } from "../tracing";

/** How operations run: compiled by graphql-jit (else graphql-js), and first offered to the read path when given. */
export interface RunnerOptions {
  jit?: boolean;
  readPath?: ReadPath;
}

/** Compiled operations of one document, by operation name ("" for the only, unnamed one). */
type Compiled = Map<string, CompiledQuery | null>;

/** Documents whose compiled operations are kept (least recently used dropped first). */
export const MAX_COMPILED_DOCUMENTS = 500;
/** Operations compiled per document at most (a document may hold many; the rest run on graphql-js). */
export const MAX_COMPILED_OPERATIONS_PER_DOCUMENT = 10;

/**
 * Executes operations with graphql-jit: each operation of a parsed document is compiled once into
 * plain JavaScript (no per-field interpretation of the AST), then run for every request with that
 * document. On a page of 50 bookings with their relations this takes about a tenth off the
 * gateway's own CPU time per request (paired runs against graphql-js, same build).
 *
 * Apollo still parses, validates, caches documents, runs the plugins (limits, authentication,
 * logging) and formats errors; only execution changes. It is wired as Apollo's "gateway" executor,
 * the one hook Apollo Server offers to replace `execute`.
 *
 * Falls back to graphql-js's `execute` for an operation the compiler refuses, and for a request
 * whose variables fail to coerce, so those keep graphql-js's error messages (which Apollo turns into
 * BAD_USER_INPUT with HTTP 400); no resolver has run at that point, so nothing runs twice.
 *
 * Memory: a compiled operation is about 20 KB of generated code and closures (graphql-jit writes
 * literal arguments into the code, so `booking(id: 1)` and `booking(id: 2)` compile separately).
 * Kept per parsed document for as long as Apollo keeps the document, that was ~30 KB per distinct
 * query text, ~0.75 GB at Apollo's default store size (measured with heap snapshots). So a
 * document is compiled only the second time it is executed (a text sent once, typically one with
 * literal ids, runs on graphql-js), and at most MAX_COMPILED_DOCUMENTS documents keep their
 * compiled operations, MAX_COMPILED_OPERATIONS_PER_DOCUMENT each.
 */
/**
 * Runs operations: first offered to the read path (src/read-path: query operations it compiles to
 * SQL, answered in one statement per root field), then compiled by graphql-jit (a document on its
 * second run; at most MAX_COMPILED_DOCUMENTS documents), falling back to graphql-js for anything it
 * cannot compile. One runner for Apollo (jitExecutor) and one for REST v1's fixed documents.
 */
export function jitRunner(schema: GraphQLSchema, options: RunnerOptions = {}) {
  const { jit = true, readPath } = options;
  // Apollo keeps one DocumentNode per distinct query text (its document store, bounded in app.ts).
  const cache = new LruMap<DocumentNode, Compiled>(MAX_COMPILED_DOCUMENTS);
  const seenOnce = new WeakSet<DocumentNode>();

  const compiled = (document: DocumentNode, operationName: string | null): CompiledQuery | null => {
    let byName = cache.get(document);
    if (!byName) {
      if (!seenOnce.has(document)) {
        seenOnce.add(document);
        return null;
      }
      cache.set(document, (byName = new Map<string, CompiledQuery | null>()));
    }
    const name = operationName ?? "";
    if (!byName.has(name) && byName.size >= MAX_COMPILED_OPERATIONS_PER_DOCUMENT) return null;
    return cached(byName, name, () => {
      const result = compileQuery(schema, document, operationName ?? undefined, { disablingCapturingStackErrors: true });
      return isCompiledQuery(result) ? result : null;
    });
  };

  return async (
    document: DocumentNode,
    operationName: string | null,
    contextValue: unknown,
    variables: Record<string, unknown>,
    /** The document's text: the read path's plans are keyed by it. */
    documentKey?: string,
    /** The operation name as the client sent it (null: the document's only one), the read path's key; default `operationName`. */
    requestedOperationName: string | null = operationName,
  ): Promise<ExecutionResult> => {
    if (readPath && documentKey !== undefined) {
      const answer = await readPath.run(documentKey, document, requestedOperationName, contextValue as ReadPathContext, variables);
      if (answer) return answer;
    }
    const query = jit ? compiled(document, operationName) : null;
    if (query) {
      const result = (await query.query(undefined, contextValue, variables)) as ExecutionResult;
      if (result.data !== undefined) return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
    }
    return execute({ schema, document, contextValue, variableValues: variables, operationName });
  };
}

export function jitExecutor(schema: GraphQLSchema, options: RunnerOptions = {}): GatewayInterface {
  const run = jitRunner(schema, options);
  // The operation name as the client sent it (null for a document's only operation): the read path's
  // route looks plans up by what a request carries.
  // With tracing on, each operation runs in a span of its own (its SQL and batches nest in it).
  const executor: GatewayExecutor = async (rc) =>
    operationSpan(rc.operation?.operation ?? "operation", rc.operationName, () =>
      run(rc.document, rc.operationName, rc.context, rc.request.variables ?? {}, rc.source, rc.request.operationName ?? null),
    );

  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: "" });
      return () => undefined;
    },
    load: async () => ({ executor }),
    stop: async () => undefined,
  };
}

/**
 * graphql-jit reports field errors with its own lightweight error objects (no `extensions` object
 * unless the thrown error had one, no AST nodes); Apollo and the error mapping expect graphql-js's
 * GraphQLError, so each becomes one, with the same message, path, locations and original error.
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  if (error.constructor === GraphQLError) return error;
  const converted = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions,
  });
  if (error.locations) (converted as { locations?: GraphQLError["locations"] }).locations = error.locations;
  return converted;
}
