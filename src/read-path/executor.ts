import {
  getArgumentValues,
  getVariableValues,
  GraphQLError,
  Kind,
  locatedError,
  visit,
  type ArgumentNode,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  OperationTypeNode,
} from "graphql";
import type { DataSource } from "typeorm";
import type { RequestContext } from "../context";
import { DomainError } from "../domain/errors";
import { containsDirtyText } from "../graphql/input-hygiene";
import { LruMap } from "../cached";
import { buildCatalog, type Catalog } from "./catalog";
import { joinedText, RawJsonSink, type JsonText } from "./raw-json";
import { compileRootField, type RootFieldPlan } from "./root-fields";
import { collectFields, NotCompiled } from "./selection";

/**
 * Stage 5 of the read path (README.md): whole operations. A query operation whose every root field
 * the read path compiles is answered with one statement per root field, run concurrently; anything
 * else (mutations, subscriptions, introspection, a field it does not know, a viewer that is not a
 * user, any error the domain raises) returns undefined and runs on the executor, which answers as
 * before. The executor also reports what a statement refused to write (see json-sql.ts `failure`).
 */

/** Operations (by document text and name) whose compiled plans are kept, least recently used dropped first. */
export const MAX_OPERATIONS = 500;
/** Plans per operation (one per value set of its `@skip` / `@include` variables and kind of viewer). */
export const MAX_PLANS_PER_OPERATION = 8;

/** The context the read path needs: the request's, and where raw texts go (absent: answers are parsed). */
export interface ReadPathContext extends RequestContext {
  rawJson?: RawJsonSink;
}

interface OperationEntry {
  document: DocumentNode;
  operation: OperationDefinitionNode | null;
  /** Some plan of it compiled: the read path's route may take its requests. */
  compiled: boolean;
  fragments: Record<string, FragmentDefinitionNode>;
  /** Variables of `@skip` / `@include`: their values are part of a plan's key. */
  directiveVariables: string[];
  plans: LruMap<string, OperationPlan | null>;
}

interface OperationPlan {
  fields: PlannedField[];
}

interface PlannedField {
  key: string;
  plan: RootFieldPlan;
  nodes: readonly FieldNode[];
  /**
   * The field's arguments when they name no variable (so they are the same on every request):
   * coerced on the first request and kept, frozen, with whether the input hygiene rule refuses them.
   */
  constantArgs?: { args: Readonly<Record<string, unknown>>; dirty: boolean };
  /** True when some argument value names a variable (it is then coerced on every request). */
  variableArgs: boolean;
}

export class ReadPath {
  private readonly operations = new LruMap<string, OperationEntry>(MAX_OPERATIONS);
  private catalogCache: Catalog | undefined;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly dataSource: DataSource,
    /** Told who answered each query operation offered (the metric gateway_read_path_operations_total). */
    private readonly outcome: (path: "compiled" | "executor") => void = () => undefined,
  ) {}

  private get catalog(): Catalog {
    return (this.catalogCache ??= buildCatalog(this.schema, this.dataSource));
  }

  /**
   * The answer to an operation, or undefined for the executor. `documentKey` is the document's
   * text (or anything that identifies it).
   */
  async run(...args: Parameters<ReadPath["answer"]>): Promise<ExecutionResult | undefined> {
    const answer = await this.answer(...args);
    this.outcome(answer ? "compiled" : "executor");
    return answer;
  }

  private async answer(
    documentKey: string,
    document: DocumentNode,
    operationName: string | null | undefined,
    ctx: ReadPathContext,
    variables: Record<string, unknown>,
  ): Promise<ExecutionResult | undefined> {
    const viewer = ctx.viewer;
    if (!viewer || viewer.kind !== "user") return undefined;
    const entry = this.entry(documentKey, document, operationName);
    const operation = entry.operation;
    if (!operation) return undefined;
    const coerced = getVariableValues(this.schema, operation.variableDefinitions ?? [], variables);
    if (coerced.errors) return undefined;
    const values = coerced.coerced;
    const key = (viewer.isSystemAdmin ? "a" : "u") + entry.directiveVariables.map((name) => (values[name] ? "1" : "0")).join("");
    let plan = entry.plans.get(key);
    if (plan === undefined) {
      plan = this.compile(operation, entry.fragments, values, viewer.isSystemAdmin);
      entry.plans.set(key, plan);
      if (plan) entry.compiled = true;
    }
    if (!plan) return undefined;
    const args = this.arguments(plan, values);
    // Arguments the executor reports on, or text the input hygiene rule refuses: the executor reports
    // it (BAD_USER_INPUT naming the field).
    if (!args) return undefined;
    let texts: Array<JsonText | undefined>;
    try {
      texts = await Promise.all(plan.fields.map(({ plan: field }, i) => field.run(ctx, args[i])));
    } catch (err) {
      // The domain's own errors (bad arguments, FORBIDDEN) and refused values: the executor reports them.
      if (
        err instanceof GraphQLError ||
        err instanceof DomainError ||
        (err as { code?: string }).code === "22P02" ||
        plan.fields.length > 1
      )
        return undefined;
      // Infrastructure (database down, timeout): reported as the executor would, without asking twice.
      const [{ key: field, nodes }] = plan.fields;
      return { data: null, errors: [locatedError(err, nodes, [field])] };
    }
    if (texts.some((text) => text === undefined)) return undefined;
    const data: Record<string, unknown> = {};
    plan.fields.forEach(({ key, plan: field }, i) => {
      const text = texts[i]!;
      data[key] = field.parse || !ctx.rawJson ? JSON.parse(joinedText(text)) : ctx.rawJson.add(text);
    });
    return { data };
  }

  /**
   * Each root field's coerced arguments, or undefined when the executor must report on them (they do
   * not coerce, or hold text the input hygiene rule refuses). Arguments without variables are
   * coerced once per plan.
   */
  private arguments(plan: OperationPlan, values: Record<string, unknown>): Array<Record<string, unknown>> | undefined {
    const query = this.schema.getQueryType()!;
    const args: Array<Record<string, unknown>> = [];
    for (const field of plan.fields) {
      if (field.constantArgs) {
        if (field.constantArgs.dirty) return undefined;
        args.push(field.constantArgs.args);
        continue;
      }
      let coerced: Record<string, unknown>;
      try {
        coerced = getArgumentValues(query.getFields()[field.nodes[0].name.value], field.nodes[0], values);
      } catch {
        return undefined;
      }
      const dirty = containsDirtyText(coerced);
      if (!field.variableArgs) field.constantArgs = { args: deepFreeze(coerced), dirty };
      if (dirty) return undefined;
      args.push(coerced);
    }
    return args;
  }

  /**
   * The parsed document and operation of a text the read path has compiled before (so it was
   * parsed and validated by Apollo first): what the read path's route may run without Apollo.
   */
  known(
    documentKey: string,
    operationName: string | null | undefined,
  ): { document: DocumentNode; operation: OperationDefinitionNode } | undefined {
    const entry = this.operations.get(`${operationName ?? ""}\n${documentKey}`);
    return entry?.compiled && entry.operation ? { document: entry.document, operation: entry.operation } : undefined;
  }

  private entry(documentKey: string, document: DocumentNode, operationName: string | null | undefined): OperationEntry {
    const key = `${operationName ?? ""}\n${documentKey}`;
    let entry = this.operations.get(key);
    if (!entry) {
      const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      const operation = operationName
        ? operations.find((o) => o.name?.value === operationName)
        : operations.length === 1
          ? operations[0]
          : undefined;
      const fragments: Record<string, FragmentDefinitionNode> = {};
      for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
      const directiveVariables = new Set<string>();
      visit(document, {
        Directive(node) {
          if (node.name.value !== "skip" && node.name.value !== "include") return;
          for (const arg of node.arguments ?? []) if (arg.value.kind === Kind.VARIABLE) directiveVariables.add(arg.value.name.value);
        },
      });
      entry = {
        document,
        compiled: false,
        operation: operation?.operation === OperationTypeNode.QUERY ? operation : null,
        fragments,
        directiveVariables: [...directiveVariables],
        plans: new LruMap(MAX_PLANS_PER_OPERATION),
      };
      this.operations.set(key, entry);
    }
    return entry;
  }

  private compile(
    operation: OperationDefinitionNode,
    fragments: Record<string, FragmentDefinitionNode>,
    variables: Record<string, unknown>,
    systemAdmin: boolean,
  ): OperationPlan | null {
    try {
      const scope = { catalog: this.catalog, fragments, variables, systemAdmin };
      const roots = collectFields("Query", [operation.selectionSet], scope);
      if (!roots.length) return null;
      return {
        fields: roots.map((selected) => {
          if (selected.name === "__typename") throw new NotCompiled("root __typename");
          return {
            key: selected.key,
            nodes: selected.nodes,
            plan: compileRootField(selected, scope),
            variableArgs: selected.nodes.some((node) => namesVariable(node.arguments ?? [])),
          };
        }),
      };
    } catch (err) {
      if (err instanceof NotCompiled) return null;
      throw err;
    }
  }
}

/** True when some argument value (at any depth) is a variable. */
function namesVariable(args: readonly ArgumentNode[]): boolean {
  let found = false;
  for (const arg of args)
    visit(arg.value, {
      Variable() {
        found = true;
      },
    });
  return found;
}

/** `value` with every object and array in it frozen (arguments shared by the requests of one plan). */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
