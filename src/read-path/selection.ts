import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  getDirectiveValues,
  Kind,
  type DirectiveNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
} from "graphql";

/**
 * Stage 2 of the read path (README.md): a selection as the executor sees it. GraphQL's field
 * collection, for object types only: fragments and inline fragments whose type condition is the
 * type itself, `@skip` / `@include` evaluated with the request's variables, fields of one response
 * key merged (their sub-selections are collected together), keys in the order of first appearance.
 */

/** One response key of a selection: its field name and every field node that contributes to it. */
export interface Selected {
  key: string;
  name: string;
  nodes: FieldNode[];
}

/** Thrown for anything the read path leaves to the executor (caught in executor.ts). */
export class NotCompiled extends Error {}

export interface SelectionScope {
  fragments: Readonly<Record<string, FragmentDefinitionNode>>;
  /** Coerced variable values (only those of `@skip` / `@include` are read, and they are part of the plan's key). */
  variables: Readonly<Record<string, unknown>>;
}

/** The fields selected on object type `typeName` by the union of `sets`. */
export function collectFields(typeName: string, sets: readonly SelectionSetNode[], scope: SelectionScope): Selected[] {
  const byKey = new Map<string, Selected>();
  const visit = (set: SelectionSetNode, visited: Set<string>) => {
    for (const selection of set.selections) {
      if (!included(selection, scope)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const entry = byKey.get(key);
        if (entry) entry.nodes.push(selection);
        else byKey.set(key, { key, name: selection.name.value, nodes: [selection] });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (selection.typeCondition && selection.typeCondition.name.value !== typeName)
          throw new NotCompiled("type condition on another type");
        visit(selection.selectionSet, visited);
      } else {
        const name = selection.name.value;
        if (visited.has(name)) continue;
        visited.add(name);
        const fragment = scope.fragments[name];
        if (!fragment) throw new NotCompiled(`unknown fragment ${name}`);
        if (fragment.typeCondition.name.value !== typeName) throw new NotCompiled("fragment on another type");
        visit(fragment.selectionSet, visited);
      }
    }
  };
  // One set of visited fragments per collection, as graphql-js's collectFields keeps.
  const visited = new Set<string>();
  for (const set of sets) visit(set, visited);
  return [...byKey.values()];
}

/** The sub-selections of a merged field. */
export function subSelections(selected: Selected): SelectionSetNode[] {
  return selected.nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
}

function included(node: { directives?: readonly DirectiveNode[] }, scope: SelectionScope): boolean {
  if (!node.directives?.length) return true;
  const skip = getDirectiveValues(GraphQLSkipDirective, node, scope.variables);
  if (skip?.if === true) return false;
  const include = getDirectiveValues(GraphQLIncludeDirective, node, scope.variables);
  return include?.if !== false;
}
