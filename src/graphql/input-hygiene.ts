import { getNullableType, isInputObjectType, isListType, type GraphQLInputType, type GraphQLResolveInfo } from "graphql";
import type { ResolverData } from "type-graphql";
import { badInput } from "../domain/errors";

/**
 * One hygiene rule for every text a client sends, whatever the operation: no NUL (`\u0000`) and no
 * unpaired UTF-16 surrogate. Postgres refuses NUL in text and JSON (the statement would fail as an
 * internal error), and a lone surrogate is not a character: it cannot be stored as UTF-8 or sent back
 * as valid JSON text. Refused as BAD_USER_INPUT naming the field, before any resolver runs.
 */

/** NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
// eslint-disable-next-line no-control-regex -- finding NUL is this pattern's purpose
const DIRTY = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the string has no NUL and no unpaired surrogate. */
export function isCleanText(text: string): boolean {
  return !DIRTY.test(text);
}

/**
 * True when any string in `value` is not clean: strings, list items, object keys and values (input
 * objects and plain JSON alike), at any depth. Walks with its own stack, so no depth a client sends
 * can overflow the call stack.
 */
export function containsDirtyText(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const current = pending.pop();
    if (typeof current === "string") {
      if (!isCleanText(current)) return true;
    } else if (Array.isArray(current)) {
      for (const item of current) pending.push(item);
    } else if (current !== null && typeof current === "object" && !(current instanceof Date)) {
      for (const [key, item] of Object.entries(current)) {
        if (!isCleanText(key)) return true;
        pending.push(item);
      }
    }
  }
  return false;
}

/**
 * Where in `value`, of GraphQL input type `type`, the first unclean text is: input object fields
 * joined with "." (list items add no index, so `responses.guests`); a scalar (String, JSON) is the
 * end of the path, so anything inside `metadata` is `metadata`. Undefined when all is clean.
 */
export function dirtyPath(value: unknown, type: GraphQLInputType, path: string): string | undefined {
  if (value == null) return undefined;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      const found = dirtyPath(item, nullable.ofType, path);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (isInputObjectType(nullable) && typeof value === "object") {
    for (const field of Object.values(nullable.getFields())) {
      const found = dirtyPath((value as Record<string, unknown>)[field.name], field.type, path ? `${path}.${field.name}` : field.name);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return containsDirtyText(value) ? path : undefined;
}

/**
 * The client-facing name of the offending spot: for the `input` argument, the path inside it (the
 * names the create rules use: `responses.name`, `title`, `metadata`); for any other argument, its
 * name, followed by the path inside it for input objects (`filter.attendeeEmail`).
 */
export function fieldName(argumentName: string, pathInside: string): string {
  if (argumentName === "input" && pathInside) return pathInside;
  return pathInside ? `${argumentName}.${pathInside}` : argumentName;
}

/** The same value: equal primitives and instants, or lists / objects whose defined entries are the same values. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  const defined = (o: object) => Object.entries(o).filter(([, v]) => v !== undefined);
  const entriesOfA = defined(a);
  const entriesOfB = new Map(defined(b));
  return entriesOfA.length === entriesOfB.size && entriesOfA.every(([k, v]) => entriesOfB.has(k) && sameValue(v, entriesOfB.get(k)));
}

/**
 * The argument `argValue` came from. type-graphql hands the validate function one argument at a time,
 * without its name and with input objects already rebuilt as class instances, so the name is found
 * by value among the field's arguments (in schema order): the same value, or, for an input object, an
 * object with the same entries; failing that, the first argument holding unclean text.
 */
function argumentOf(argValue: unknown, args: Record<string, unknown>, info: GraphQLResolveInfo) {
  const definitions = info.parentType.getFields()[info.fieldName]?.args ?? [];
  return (
    definitions.find((definition) => sameValue(args[definition.name], argValue)) ??
    definitions.find((definition) => containsDirtyText(args[definition.name]))
  );
}

/**
 * type-graphql's global `validate` function (schema.ts): called for every argument of every resolver
 * it wraps, primitives included. Clean input costs one pass over its strings; unclean input is
 * BAD_USER_INPUT with `extensions.field` naming where it is.
 */
export function validateInputHygiene(argValue: unknown, _argType: unknown, { args, info }: ResolverData): void {
  if (!containsDirtyText(argValue)) return;
  const argument = argumentOf(argValue, args, info);
  const field = argument ? fieldName(argument.name, dirtyPath(args[argument.name], argument.type, "") ?? "") : info.fieldName;
  throw badInput(field, `${field} must not contain NUL characters (\\u0000) or unpaired UTF-16 surrogates.`);
}
