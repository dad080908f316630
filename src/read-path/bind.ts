/**
 * Named parameters (`:name`, the policy's and the filters' style) to Postgres' `$n`: every value
 * is a bind parameter, so a statement text depends only on the shape of a query, never on its
 * values. `::` casts and names that are not parameters are left alone.
 */
export interface Positional {
  sql: string;
  /** The parameter name of `$1`, `$2`, … */
  names: string[];
}

const NAMED = /(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)/g;

/** `sql` with the names in `known` numbered in order of first appearance. */
export function toPositional(sql: string, known: ReadonlySet<string>): Positional {
  const names: string[] = [];
  const text = sql.replace(NAMED, (whole, name: string) => {
    if (!known.has(name)) return whole;
    let index = names.indexOf(name);
    if (index < 0) index = names.push(name) - 1;
    return `$${index + 1}`;
  });
  return { sql: text, names };
}

/** The values of `names` in `params`, in order (`$1` first). */
export function valuesOf(names: readonly string[], params: Readonly<Record<string, unknown>>): unknown[] {
  return names.map((name) => params[name]);
}
