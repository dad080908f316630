import { bookingViewsSql } from "../domain/booking/booking.policy";
import type { Catalog, ColumnField, RelationField, ScalarKind } from "./catalog";
import { collectFields, NotCompiled, subSelections, type SelectionScope } from "./selection";

/**
 * Stage 3 of the read path (README.md): a selection on a catalog type as ONE SQL expression whose
 * value is the response JSON of that object, exactly as the executor would write it: keys in
 * selection order under their aliases, `__typename`, null where the executor gives null, enums by
 * their GraphQL names, DateTime as ISO-8601 UTC with milliseconds. The text is built by
 * concatenation, not with json_build_object (whose output has spaces the executor's has not), so it
 * can be sent as it is. Any value that would make the executor report an error (a NULL in a
 * non-null field, a value outside an enum) makes the statement fail instead (`failure`), and the
 * operation then runs on the executor, which reports it.
 */

export interface EmitScope extends SelectionScope {
  catalog: Catalog;
  /** The booking page row's alias, whose `"__view"` / `"__secrets"` columns hold the viewer's view when it varies. */
  page: string;
  /** The viewer's view varies per booking (not a system admin): the view rules apply. */
  viewed: boolean;
  /** The instant-meeting token's `token` depends on the booking (not a system admin). */
  secrets: boolean;
  /** Set when a JSON scalar is selected: its text is Postgres' and must be parsed and written by JSON.stringify. */
  parse: boolean;
  /** Makes a fresh table alias. */
  alias(): string;
}

/** A SQL string literal. */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Concatenates JSON text pieces: literal text and SQL expressions (never NULL). */
class Concat {
  private readonly parts: string[] = [];
  private pending = "";
  text(t: string): this {
    this.pending += t;
    return this;
  }
  sql(expression: string): this {
    if (this.pending) this.parts.push(literal(this.pending));
    this.pending = "";
    this.parts.push(expression);
    return this;
  }
  toSql(): string {
    if (this.pending) this.parts.push(literal(this.pending));
    this.pending = "";
    return this.parts.length === 1 ? this.parts[0] : `(${this.parts.join(" || ")})`;
  }
}

/**
 * An expression that fails the statement when evaluated (Postgres folds constant expressions while
 * planning, so it depends on a row value to fail only when reached): for values the executor would
 * report as errors.
 */
function failure(alias: string, why: string): string {
  return `(${literal(`read-path: ${why} `)} || ${alias}."id"::text)::int::text`;
}

/** The JSON text of column `c` of row `x`, or NULL when the column is. */
function scalarJson(scalar: ScalarKind, c: string, x: string, scope: EmitScope): string {
  const column = `${x}."${c}"`;
  if (scalar === "int" || scalar === "boolean") return `${column}::text`;
  if (scalar === "string") return `to_json(${column}::text)::text`;
  if (scalar === "datetime") return `('"' || to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"')`;
  if (scalar === "json") {
    scope.parse = true;
    return `${column}::text`;
  }
  const cases = [...scalar.enum].map(([value, name]) => `WHEN ${literal(value)} THEN ${literal(JSON.stringify(name))}`).join(" ");
  return `CASE ${column}::text ${cases} ELSE ${failure(x, `a value outside the enum on row`)} END`;
}

function columnJson(field: ColumnField, x: string, scope: EmitScope): string {
  const value = scalarJson(field.scalar, field.column, x, scope);
  if (!field.columnNullable) return value;
  return field.nullable ? `coalesce(${value}, 'null')` : `coalesce(${value}, ${failure(x, `NULL in a non-null field on row`)})`;
}

/**
 * The JSON object of row `x` of `typeName` for the fields `sets` select. `booking` is true for the
 * booking rows of a read (the page row itself), where the viewer's view rules apply.
 */
export function objectJson(
  typeName: string,
  x: string,
  sets: readonly import("graphql").SelectionSetNode[],
  scope: EmitScope,
  booking = false,
): string {
  const type = scope.catalog.get(typeName);
  if (!type) throw new NotCompiled(`${typeName} is not in the catalog`);
  const out = new Concat().text("{");
  let first = true;
  for (const selected of collectFields(typeName, sets, scope)) {
    if (selected.nodes.some((n) => n.arguments?.length)) throw new NotCompiled("arguments below the root");
    out.text(`${first ? "" : ","}${JSON.stringify(selected.key)}:`);
    first = false;
    if (selected.name === "__typename") {
      out.text(JSON.stringify(typeName));
      continue;
    }
    const reading = type.fields.get(selected.name);
    if (!reading || reading.kind === "executor") throw new NotCompiled(`${typeName}.${selected.name} is answered by the executor`);
    if (reading.kind === "null") {
      out.text("null");
      continue;
    }
    if (reading.kind === "column") {
      const value = columnJson(reading, x, scope);
      const hidden =
        (booking && scope.viewed && bookingViewsSql.seatHiddenFields.has(selected.name) && `${scope.page}."__view" = 'seat'`) ||
        (scope.viewed && bookingViewsSql.fullOnlyColumns[typeName]?.has(selected.name) && `${scope.page}."__view" <> 'full'`) ||
        (scope.secrets &&
          typeName === "InstantMeetingToken" &&
          selected.name === "token" &&
          `NOT coalesce(${scope.page}."__secrets", false)`);
      out.sql(hidden ? `CASE WHEN ${hidden} THEN 'null' ELSE ${value} END` : value);
      continue;
    }
    const sets = subSelections(selected);
    const value = relationJson(reading, x, sets, scope, booking ? selected.name : undefined);
    const fullOnly = booking && scope.viewed && bookingViewsSql.fullOnlyRelations.has(selected.name);
    out.sql(fullOnly ? `CASE WHEN ${scope.page}."__view" = 'full' THEN ${value} ELSE ${reading.spec.many ? "'[]'" : "'null'"} END` : value);
  }
  return out.text("}").toSql();
}

/** A relation of row `x`: its object (or null), or its rows as a JSON array in id order. */
function relationJson(
  field: RelationField,
  x: string,
  sets: readonly import("graphql").SelectionSetNode[],
  scope: EmitScope,
  bookingField?: string,
): string {
  const child = scope.catalog.get(field.spec.type);
  if (!child) throw new NotCompiled(`${field.spec.type} is not in the catalog`);
  const y = scope.alias();
  let where = `${y}."${field.childColumn}" = ${x}."${field.parentColumn}"`;
  const seatRows = bookingField && scope.viewed ? bookingViewsSql.seatRows[bookingField] : undefined;
  if (seatRows) where += ` AND (${scope.page}."__view" <> 'seat' OR ${seatRows(y, scope.page)})`;
  const object = objectJson(child.name, y, sets, scope);
  if (!field.spec.many) {
    const value = `(SELECT ${object} FROM "${child.table}" ${y} WHERE ${where} LIMIT 1)`;
    return field.nullable
      ? `coalesce(${value}, 'null')`
      : `coalesce(${value}, ${failure(x, "no related row for a non-null field on row")})`;
  }
  return `coalesce((SELECT '[' || string_agg(${object}, ',' ORDER BY ${y}."id") || ']' FROM "${child.table}" ${y} WHERE ${where}), '[]')`;
}
