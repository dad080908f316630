import {
  getNamedType, isObjectType, Kind, type FieldNode, type GraphQLNamedType, type GraphQLResolveInfo, type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import { cached } from "../cached";
import type { BookingSelection } from "../domain/booking/booking-includes";

/**
 * Names of the fields selected below the current field along `path` (e.g. ["nodes"] under
 * `bookings`, ["edges", "node"] under `bookingsConnection`), through fragments and inline fragments.
 * Used to read only the columns and relations an operation asks for.
 */
export function selectedFieldNames(info: GraphQLResolveInfo, path: readonly string[] = []): Set<string> {
  let sets: SelectionSetNode[] = info.fieldNodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
  for (const step of path) {
    sets = collect(info, sets).filter((f) => f.name === step).flatMap((f) => (f.selectionSet ? [f.selectionSet] : []));
  }
  return new Set(collect(info, sets).map((f) => f.name));
}

function collect(info: GraphQLResolveInfo, sets: SelectionSetNode[], seen = new Set<string>()) {
  const fields: Array<{ name: string; selectionSet?: SelectionSetNode }> = [];
  for (const set of sets) {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) fields.push({ name: s.name.value, selectionSet: s.selectionSet });
      else if (s.kind === Kind.INLINE_FRAGMENT) fields.push(...collect(info, [s.selectionSet], seen));
      else if (!seen.has(s.name.value) && info.fragments[s.name.value]) {
        seen.add(s.name.value);
        fields.push(...collect(info, [info.fragments[s.name.value].selectionSet], seen));
      }
    }
  }
  return fields;
}

/**
 * For every object type, the fields the whole operation selects on it (through fragments), e.g.
 * `User → {id, name}`. Relation rows built for a list need only these (plus their keys).
 */
export function selectedFieldsByType(info: GraphQLResolveInfo): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  const visit = (set: SelectionSetNode, type: GraphQLNamedType | null | undefined, seen: Set<string>) => {
    if (!type || !isObjectType(type)) return;
    let fields = result.get(type.name);
    if (!fields) result.set(type.name, (fields = new Set()));
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        fields.add(s.name.value);
        const field = type.getFields()[s.name.value];
        if (s.selectionSet && field) visit(s.selectionSet, getNamedType(field.type), seen);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        visit(s.selectionSet, s.typeCondition ? info.schema.getType(s.typeCondition.name.value) : type, seen);
      } else if (!seen.has(s.name.value) && info.fragments[s.name.value]) {
        const fragment = info.fragments[s.name.value];
        visit(fragment.selectionSet, info.schema.getType(fragment.typeCondition.name.value), new Set([...seen, s.name.value]));
      }
    }
  };
  const root = info.operation.operation === "mutation" ? info.schema.getMutationType() : info.schema.getQueryType();
  visit(info.operation.selectionSet, root, new Set());
  return result;
}

/** Selections by operation, field node and path (all AST nodes, which Apollo keeps per query text). */
const selections = new WeakMap<OperationDefinitionNode, WeakMap<FieldNode, Map<string, BookingSelection>>>();

/**
 * What a booking field's operation selects (see BookingSelection): the fields below `path` and the
 * fields per type. Both depend only on the operation's text (directives are not evaluated: a field
 * under `@skip` is read anyway), so they are worked out once per parsed operation and field and
 * shared by every request with that query text; the same object each time, so what is derived from
 * it can be cached too. Treat it as read-only. For root fields only: below the root, one field node
 * of a fragment can stand at several paths with different siblings, which this key would mix up.
 */
export function bookingSelection(info: GraphQLResolveInfo, path: readonly string[] = []): BookingSelection {
  const byField = cached(selections, info.operation, () => new WeakMap<FieldNode, Map<string, BookingSelection>>());
  const byPath = cached(byField, info.fieldNodes[0], () => new Map<string, BookingSelection>());
  return cached(byPath, path.join("."), () => ({ fields: selectedFieldNames(info, path), typeFields: selectedFieldsByType(info) }));
}
