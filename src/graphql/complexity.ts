import {
  getNamedType,
  getNullableType,
  isListType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  getArgumentValues,
  isObjectType,
  isInterfaceType,
  OperationTypeNode,
} from "graphql";
import { MAX_TAKE } from "../domain/booking/booking-read.service";

/** Limits on an operation, checked before anything executes. */
export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  /** What an unpaged `bookings` counts as: the most it returns (MAX_UNPAGED_BOOKINGS). */
  unpagedListSize: number;
}

export interface OperationMeasure {
  depth: number;
  aliases: number;
  cost: number;
}

/** Page size assumed for list fields without a size argument (relation lists of one booking). */
export const DEFAULT_LIST_SIZE = 10;

/**
 * Measures an operation in the spirit of GitHub's GraphQL limits: nesting depth, aliased fields, and
 * a cost that counts every object the response could hold. A list field multiplies the cost of what
 * is below it by its page size (`take` / `first`; an unpaged `bookings` counts as `unpagedListSize`,
 * the most it returns; other lists as 10), so nested lists multiply. Depth counts every level, leaves included
 * (`{ me { id } }` is 2); introspection fields count for depth and aliases but cost nothing, so the
 * standard introspection query (depth 12) always passes the defaults.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
  unpagedListSize = 1_000,
): OperationMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const root = operation.operation === OperationTypeNode.MUTATION ? schema.getMutationType() : schema.getQueryType();
  let aliases = 0;
  let depth = 0;

  const walk = (set: SelectionSetNode, parent: GraphQLObjectType | null, level: number, seen: Set<string>, paged = false): number => {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        cost += walk(selection.selectionSet, parent, level, seen, paged);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value)) {
          cost += walk(fragment.selectionSet, parent, level, new Set([...seen, fragment.name.value]), paged);
        }
        continue;
      }
      const name = selection.name.value;
      if (selection.alias) aliases += 1;
      depth = Math.max(depth, level);
      if (name.startsWith("__")) {
        // Introspection counts for depth and aliases but costs nothing (Sandbox must load the schema).
        if (selection.selectionSet) walk(selection.selectionSet, null, level + 1, seen);
        continue;
      }
      const field = parent?.getFields()[name];
      cost += fieldCost(selection, field, level, seen, paged);
    }
    return cost;
  };

  // `paged`: directly below a paged field (bookings → nodes, bookingsConnection → edges), whose
  // page size was already counted, so those lists count once.
  const fieldCost = (
    node: FieldNode,
    field: GraphQLField<unknown, unknown> | undefined,
    level: number,
    seen: Set<string>,
    paged: boolean,
  ): number => {
    if (!node.selectionSet) return 0;
    const type = field ? getNullableType(field.type) : undefined;
    const named = field ? getNamedType(field.type) : undefined;
    const child = named && (isObjectType(named) || isInterfaceType(named)) ? (named as GraphQLObjectType) : null;
    const isList = Boolean(type && isListType(type));
    const pageSize = isList ? null : pagedSize(node, field, variables, unpagedListSize);
    const size = isList ? (paged ? 1 : DEFAULT_LIST_SIZE) : (pageSize ?? 1);
    return size * (1 + walk(node.selectionSet, child, level + 1, seen, pageSize !== null));
  };

  const cost = walk(operation.selectionSet, root ?? null, 1, new Set());
  return { depth, aliases, cost };
}

/** The page size of a paged field (`bookings`, `bookingsConnection`), or null for any other field. */
function pagedSize(
  node: FieldNode,
  field: GraphQLField<unknown, unknown> | undefined,
  variables: Record<string, unknown>,
  unpagedListSize: number,
): number | null {
  if (!field) return null;
  const hasArg = (arg: string) => field.args.some((a) => a.name === arg);
  if (!hasArg("take") && !hasArg("first")) return null;
  let args: Record<string, unknown>;
  try {
    args = getArgumentValues(field, node, variables);
  } catch {
    return unpagedListSize; // bad arguments fail validation in the resolver; cost as the most
  }
  if (hasArg("first")) return clamp(typeof args.first === "number" ? args.first : DEFAULT_LIST_SIZE);
  if (args.take == null && args.page == null) return unpagedListSize;
  return clamp(typeof args.take === "number" ? args.take : DEFAULT_LIST_SIZE);
}

const clamp = (n: number) => Math.min(Math.max(Math.trunc(n), 1), MAX_TAKE);

/** The first limit the measure breaks, as a message, or undefined. */
export function exceededLimit(measure: OperationMeasure, limits: OperationLimits): string | undefined {
  if (measure.depth > limits.maxDepth)
    return `The operation is nested ${measure.depth} levels deep; the limit is ${limits.maxDepth} (MAX_QUERY_DEPTH).`;
  if (measure.aliases > limits.maxAliases)
    return `The operation uses ${measure.aliases} aliases; the limit is ${limits.maxAliases} (MAX_ALIASES).`;
  if (measure.cost > limits.maxCost)
    return `The operation could return about ${measure.cost} objects; the limit is ${limits.maxCost} (MAX_QUERY_COST). Ask for smaller pages or fewer nested lists.`;
  return undefined;
}
