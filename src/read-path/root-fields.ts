import type { SelectionSetNode } from "graphql";
import type { RequestContext } from "../context";
import { bookingSecretsSql, bookingViewSql, type SqlCondition } from "../domain/booking/booking.policy";
import { BookingOrderField, OrderDirection, orderSql, type BookingSort } from "../domain/booking/booking-order";
import {
  bookingConnectionQuery,
  bookingListQuery,
  bookingLookupQuery,
  requireViewer,
  type BookingQuery,
} from "../domain/booking/booking-read.service";
import { toPositional, type Positional } from "./bind";
import { conditionsOf, countBookings, runStatement, Statements } from "./booking-statements";
import type { Catalog } from "./catalog";
import { literal, objectJson, type EmitScope } from "./json-sql";
import { pageForm, type PageForm } from "./page-form";
import type { JsonText } from "./raw-json";
import { collectFields, NotCompiled, subSelections, type Selected, type SelectionScope } from "./selection";

/**
 * Stage 4 of the read path (README.md): the root fields it answers. Each compiles, once per plan,
 * into a statement template (the selection's JSON expressions around a page of `"Booking"` rows)
 * and an assembly of the answer; each request then takes the domain's query (conditions, order,
 * page: booking-read.service.ts), binds every value as a parameter and runs ONE statement.
 */

/** A compiled root field: its JSON text for the request, or undefined to leave the operation to the executor. */
export interface RootFieldPlan {
  run(ctx: RequestContext, args: Record<string, unknown>): Promise<JsonText | undefined>;
  /** The text holds JSON scalars as Postgres writes them: parse it and let JSON.stringify write it. */
  parse: boolean;
}

/** Row of an answering statement: JSON texts and flags by column name. */
type Row = Record<string, unknown>;

/** The pieces of an object's JSON text the statement does not write (page numbers, page info). */
type Piece = (row: Row) => string;

interface Compiling extends SelectionScope {
  catalog: Catalog;
  /** System admins see every booking in full: no view column, no secrets column. */
  systemAdmin: boolean;
}

/** Statements texts per compiled field, by the query shape (condition texts, order, options). */
const STATEMENTS_PER_FIELD = 32;

/** Compiles root field `selected` of the Query type, or throws NotCompiled. */
export function compileRootField(selected: Selected, scope: Compiling): RootFieldPlan {
  switch (selected.name) {
    case "bookings":
      return compileBookingPage(selected, scope);
    case "bookingsConnection":
      return compileBookingConnection(selected, scope);
    case "booking":
      return compileBookingLookup(selected, scope);
    case "me":
      return compileMe(selected, scope);
    default:
      throw new NotCompiled(`Query.${selected.name} is answered by the executor`);
  }
}

/** A scope for the JSON expressions of one statement (page row alias `p`). */
function emitScope(scope: Compiling): EmitScope {
  let n = 0;
  return { ...scope, page: "p", viewed: !scope.systemAdmin, secrets: !scope.systemAdmin, parse: false, alias: () => `x${++n}` };
}

/** The JSON text of an object whose pieces come from the statement's row and the request. */
function assemble(pieces: Array<[key: string, piece: Piece]>): Piece {
  const parts = assembleParts(pieces);
  return (row) => parts(row).join("");
}

/**
 * The same, as pieces (raw-json.ts JsonText): a statement's page text stays the string Postgres
 * sent, not copied into a joined one.
 */
function assembleParts(pieces: Array<[key: string, piece: Piece]>): (row: Row) => string[] {
  const keys = pieces.map(([key], i) => `${i ? "," : "{"}${JSON.stringify(key)}:`);
  return (row) => {
    if (!pieces.length) return ["{}"];
    const parts: string[] = [];
    for (let i = 0; i < pieces.length; i += 1) parts.push(keys[i], pieces[i][1](row));
    parts.push("}");
    return parts;
  };
}

const json = (value: unknown) => JSON.stringify(value ?? null);

/** The columns of the page row the selected JSON uses (the view and secrets only when a rule needs them). */
function pageColumns(objectSql: string, viewer: RequestContext["viewer"] & object): { sql: string; params: Record<string, unknown> } {
  let sql = "";
  let params: Record<string, unknown> = {};
  if (objectSql.includes(`p."__view"`)) {
    const view = bookingViewSql(viewer)!;
    sql += `, ${view.sql} AS "__view"`;
    params = { ...params, ...view.params };
  }
  if (objectSql.includes(`p."__secrets"`)) {
    const secrets = bookingSecretsSql(viewer)!;
    sql += `, ${secrets.sql} AS "__secrets"`;
    params = { ...params, ...secrets.params };
  }
  return { sql, params };
}

/** Runs a statement and returns its only row. */
async function oneRow(ctx: RequestContext, statement: Positional, params: Record<string, unknown>): Promise<Row | undefined> {
  return (await runStatement<Row>(ctx, statement, params))[0];
}

/** A page's statement, and the total beside it when `totalCount` is selected (the bookings of `counted`). */
function pageAndTotal(
  ctx: RequestContext,
  statement: Positional,
  values: Record<string, unknown>,
  counted: readonly SqlCondition[] | undefined,
) {
  return Promise.all([oneRow(ctx, statement, values), counted ? countBookings(ctx, counted) : undefined]);
}

/**
 * The booking rows of a page, numbered in order (`__rn`), with the page row columns the JSON needs.
 * The page is chosen first (LIMIT and OFFSET on the bare rows), and only its rows are numbered and
 * get their view: rows an OFFSET skips cost no window function and no policy subquery.
 *
 * Past the first page, `form` (page-form.ts) says how the page is chosen: `ids`, by id alone and its
 * rows read after, so the rows an OFFSET skips are read from the sort index (or sorted) as ids and
 * sort keys, not as whole rows with their text and JSON columns (the last of 2,000 pages of 100,000
 * bookings: 31 → 16 ms with the gateway's index, an index-only scan); `rows`, directly, where an
 * index leads with the sort field without holding (field, id), as Cal.com's own do; `… from the
 * end` (fromEndRows), either form's page far enough down the order to be read from its other end. A
 * first page keeps the direct form, which spares it a second lookup of its rows.
 */
function pageSubquery(where: string, sort: BookingSort, columns: string, form: PageChoice): string {
  const list = form === "ids" || form === "ids from the end" ? "b.id" : "*";
  const chosen = form.endsWith(" from the end") ? fromEndRows(where, sort, list) : inOrder(list, where, sort);
  const rows = list === "b.id" ? `SELECT * FROM "Booking" b WHERE b.id IN (${chosen})` : chosen;
  return `SELECT b.*${columns}, row_number() OVER (ORDER BY ${orderSql(sort, "b")}) AS "__rn" FROM (${rows}) b`;
}

/** `list` of the page's rows of `where`, read in `sort`'s order from the OFFSET. */
const inOrder = (list: string, where: string, sort: BookingSort) =>
  `SELECT ${list} FROM "Booking" b WHERE ${where} ORDER BY ${orderSql(sort, "b")} LIMIT :gw_limit OFFSET :gw_offset`;

/** How a page's rows are chosen: a first page, or page-form.ts's form of a later one. */
type PageChoice = "first" | PageForm | `${PageForm} from the end`;

/** The smallest offset whose page may be read from the end (nearer pages are read in order). */
const FROM_END_MIN_OFFSET = 1_000;
/**
 * The share of the table's estimated rows an offset must reach before its page counts its rows, per
 * form. Counting 100,000 bookings took 5.4 ms (an index-only scan of the smallest index), reading
 * ids in order through the gateway's (startTime, id) index 7.6 ms for all of them, 4.9 ms to
 * 60,000; sorting ids by a field no index holds (createdAt) ~42 ms at any offset and 23 ms for the
 * last page's backwards (medians of 7 × 10 runs, 2026-12-03): counting pays off for `ids` from
 * about 85 % of the list (at 60 %, 4.9 ms forwards against 5.4 + 2.4), for whole rows (`rows`, wide
 * reads forwards) from the middle.
 */
const FROM_END_MIN_SHARE = { rows: 0.6, ids: 0.9 } as const;

/**
 * The table's rows as the planner estimates them (estimate_rel_size): the rows per page its
 * statistics last saw (pg_class.reltuples / relpages) times the pages it has now, so a table grown
 * since its last ANALYZE is estimated at its size, not at its size then. NULL for a table never
 * analyzed or vacuumed (reltuples -1 or relpages 0): nothing is counted then.
 */
const ESTIMATED_ROWS =
  `(SELECT CASE WHEN c.reltuples > 0 AND c.relpages > 0` +
  ` THEN c.reltuples / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::int) END` +
  ` FROM pg_class c WHERE c.oid = '"Booking"'::regclass)`;

/**
 * A page deep in the order, read from whichever end of it is nearer: its rows (`list` "*", the
 * `rows` form) or its ids (the `ids` form). Reading in order reads every row the OFFSET skips
 * (Cal.com's start-time index, then a sort of each run of equal start times; or the gateway's
 * (startTime, id) index, narrow but all of it); the same index read backwards reaches the last pages
 * at once. Knowing which end is nearer takes the number of rows in the list, so the statement counts
 * them, but only when its offset is at least FROM_END_MIN_SHARE of the table's estimated rows
 * (ESTIMATED_ROWS): a page nearer the start would pay for a count it cannot use. When the page's end
 * is past the middle of the list, the page is read backwards (the reverse order, LIMIT and OFFSET
 * counted from the end) and numbered in order by pageSubquery; otherwise, or when nothing was
 * counted, forwards as its form reads. One statement: the count and the page see one snapshot. The
 * branch not taken is never executed (Postgres' one-time filter on the count).
 *
 * The count is not capped: a LIMIT under it (2 × the page's end, an earlier form) cost a tenth of
 * the statement for every row counted (10.6 against 9.8 ms a statement, median of 15 × 20 runs,
 * 2026-12-03). It counts what `totalCount` counts for any page (the whole list, through the same
 * policy), and only when the estimate puts the page near the end: its cost beyond reading forwards
 * stays small as long as the estimate is near the truth, as the planner's own plans assume (with rows
 * per page understated k times at the last ANALYZE, a page at 1 / k of the share counts the list).
 * The last of 2,000 pages of 100,000 bookings, by hand (2026-12-03, psql, the whole prepared
 * statement): 9–20 ms against 32–60 ms read forwards; the count of 100,000 rows is ~5–13 ms of it.
 */
function fromEndRows(where: string, sort: BookingSort, list: "*" | "b.id"): string {
  const end = `(:gw_offset::bigint + :gw_limit::bigint)`;
  const counted = `(SELECT n FROM gw_counted)`;
  // The outer LIMIT only tells the planner how few rows come (the backward branch's LIMIT is an
  // expression it cannot estimate: it counted a tenth of the table, which priced the page's JSON
  // subqueries high enough for Postgres to JIT-compile the statement, ~50 ms of every execution).
  return (
    `SELECT * FROM (WITH gw_counted AS MATERIALIZED (SELECT CASE WHEN :gw_offset::bigint >= ${FROM_END_MIN_SHARE[list === "*" ? "rows" : "ids"]} * ${ESTIMATED_ROWS}` +
    ` THEN (SELECT count(*) FROM "Booking" b WHERE ${where}) END AS n)` +
    ` (${inOrder(list, `${where} AND coalesce(${counted} >= 2 * ${end}, true)`, sort)})` +
    ` UNION ALL (SELECT ${list} FROM "Booking" b WHERE ${where} AND ${counted} < 2 * ${end}` +
    ` ORDER BY ${orderSql(sort, "b", true)} LIMIT greatest(0, least(:gw_limit, ${counted} - :gw_offset)) OFFSET greatest(0, ${counted} - ${end}))) gw_page` +
    ` LIMIT :gw_limit`
  );
}

/** A page's JSON array of its rows in order, without the one row read past the page. */
const pageArray = (object: string) =>
  `coalesce('[' || string_agg(${object}, ',' ORDER BY p."__rn") FILTER (WHERE p."__rn" <= :gw_take) || ']', '[]')`;

function shapeKey(where: readonly SqlCondition[], sort: BookingSort, extra = ""): string {
  return `${sort.field} ${sort.direction} ${extra}\n${where.map((c) => c.sql).join("\n")}`;
}

const PARAM_NAMES = ["gw_take", "gw_limit", "gw_offset", "gw_me"];
const namesOf = (...params: Array<Record<string, unknown>>) => new Set([...PARAM_NAMES, ...params.flatMap((p) => Object.keys(p))]);

/** `bookings`: BookingPage { nodes, page, take, hasNextPage, totalCount, __typename }. */
function compileBookingPage(root: Selected, scope: Compiling): RootFieldPlan {
  const emit = emitScope(scope);
  const columns: string[] = [];
  const pieces: Array<[string, Piece]> = [];
  let counted = false;
  for (const selected of collectFields("BookingPage", subSelections(root), scope)) {
    if (selected.name === "nodes") {
      const column = `r${columns.length}`;
      columns.push(`${pageArray(objectJson("Booking", "p", subSelections(selected), emit, true))} AS "${column}"`);
      pieces.push([selected.key, (row) => row[column] as string]);
    } else if (selected.name === "page" || selected.name === "take") {
      const name = selected.name;
      pieces.push([selected.key, (row) => json((row.__query as { paging: Record<string, number> | null }).paging?.[name])]);
    } else if (selected.name === "hasNextPage") {
      pieces.push([selected.key, (row) => json(row.more)]);
    } else if (selected.name === "totalCount") {
      counted = true;
      pieces.push([selected.key, (row) => json(row.total)]);
    } else if (selected.name === "__typename") {
      pieces.push([selected.key, () => `"BookingPage"`]);
    } else throw new NotCompiled(`BookingPage.${selected.name}`);
  }
  const select = columns.join(", ");
  const answer = assembleParts(pieces);
  const statements = new Statements(STATEMENTS_PER_FIELD);
  return {
    parse: emit.parse,
    async run(ctx, args) {
      const query = await bookingListQuery(ctx, args);
      const viewer = requireViewer(ctx);
      const page = pageColumns(select, viewer);
      const where = conditionsOf(query.where);
      const values = { ...where.params, ...page.params, gw_take: query.take, gw_limit: query.take + 1, gw_offset: query.offset };
      const form: PageChoice = query.offset > 0 ? await pageForm(ctx, query.sort) : "first";
      const choice: PageChoice = form !== "first" && query.offset >= FROM_END_MIN_OFFSET ? `${form} from the end` : form;
      const statement = statements.get(shapeKey(query.where, query.sort, `${page.sql}\n${choice}`), () => ({
        sql:
          `SELECT ${select}${select ? ", " : ""}count(*) > :gw_take AS "more"` +
          ` FROM (${pageSubquery(where.sql, query.sort, page.sql, choice)}) p`,
        names: namesOf(values),
      }));
      const [row, total] = await pageAndTotal(ctx, statement, values, counted ? query.where : undefined);
      // More than an unpaged list may hold: the executor reports it.
      if (!row || (query.paging === null && row.more)) return undefined;
      row.__query = query;
      row.total = total;
      return answer(row);
    },
  };
}

/** A booking's cursor in `sort` as the JSON text of a string (booking-order.ts encodeCursor, in SQL). */
function cursorSql(sort: BookingSort): string {
  const value =
    sort.field === BookingOrderField.ID
      ? `p."id"::text`
      : `coalesce('"' || to_char(p."${sort.field}", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"', 'null')`;
  const payload = `${literal(`{"f":${JSON.stringify(sort.field)},"d":${JSON.stringify(sort.direction)},"v":`)} || ${value} || ',"i":' || p."id"::text || '}'`;
  return `rtrim(translate(encode(convert_to(${payload}, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')`;
}

/** `bookingsConnection`: BookingConnection { edges { cursor node }, pageInfo, totalCount, __typename }. */
function compileBookingConnection(root: Selected, scope: Compiling): RootFieldPlan {
  const emit = emitScope(scope);
  // Edges and cursors are written per sort order (the cursor holds the sort column): made per request shape.
  const edgeSelections: Array<{ column: string; sets: SelectionSetNode[] }> = [];
  const pieces: Array<[string, Piece]> = [];
  let counted = false;
  let cursors = false;
  for (const selected of collectFields("BookingConnection", subSelections(root), scope)) {
    if (selected.name === "edges") {
      const column = `r${edgeSelections.length}`;
      edgeSelections.push({ column, sets: subSelections(selected) });
      pieces.push([selected.key, (row) => row[column] as string]);
    } else if (selected.name === "pageInfo") {
      const info: Array<[string, Piece]> = [];
      for (const field of collectFields("PageInfo", subSelections(selected), scope)) {
        if (field.name === "hasNextPage") info.push([field.key, (row) => json(row.more)]);
        else if (field.name === "hasPreviousPage") info.push([field.key, (row) => json(row.__after)]);
        else if (field.name === "startCursor" || field.name === "endCursor") {
          cursors = true;
          const column = field.name === "startCursor" ? "start" : "end";
          info.push([field.key, (row) => json(row[column])]);
        } else if (field.name === "__typename") info.push([field.key, () => `"PageInfo"`]);
        else throw new NotCompiled(`PageInfo.${field.name}`);
      }
      pieces.push([selected.key, assemble(info)]);
    } else if (selected.name === "totalCount") {
      counted = true;
      pieces.push([selected.key, (row) => json(row.total)]);
    } else if (selected.name === "__typename") {
      pieces.push([selected.key, () => `"BookingConnection"`]);
    } else throw new NotCompiled(`BookingConnection.${selected.name}`);
  }
  // The edges' JSON for a sort order (cursor text differs per order), compiled once per order.
  const edgesBySort = new Map<string, string>();
  const edgesFor = (sort: BookingSort) => {
    const key = `${sort.field} ${sort.direction}`;
    let sql = edgesBySort.get(key);
    if (sql === undefined) {
      const cursor = `'"' || ${cursorSql(sort)} || '"'`;
      sql = edgeSelections.map(({ column, sets }) => `${pageArray(edgeJson(sets, emit, cursor))} AS "${column}"`).join(", ");
      edgesBySort.set(key, sql);
    }
    return sql;
  };
  // Compiled now so that an uncompilable edge selection is refused at compile time.
  edgesFor({ field: BookingOrderField.START_TIME, direction: OrderDirection.ASC });
  const answer = assembleParts(pieces);
  const statements = new Statements(STATEMENTS_PER_FIELD);
  return {
    parse: emit.parse,
    async run(ctx, args) {
      const query = await bookingConnectionQuery(ctx, args);
      const viewer = requireViewer(ctx);
      const select = edgesFor(query.sort);
      const page = pageColumns(select, viewer);
      const keyset = conditionsOf(query.keyset ? [...query.where, query.keyset] : query.where);
      const values = { ...keyset.params, ...page.params, gw_take: query.first, gw_limit: query.first + 1, gw_offset: 0 };
      const statement = statements.get(shapeKey(query.where, query.sort, `${page.sql}\n${query.keyset?.sql ?? ""}`), () => {
        const cursor = cursorSql(query.sort);
        return {
          sql:
            `SELECT ${select}${select ? ", " : ""}count(*) > :gw_take AS "more"` +
            (cursors
              ? `, (array_agg(${cursor} ORDER BY p."__rn") FILTER (WHERE p."__rn" <= :gw_take))[1] AS "start"` +
                `, (array_agg(${cursor} ORDER BY p."__rn" DESC) FILTER (WHERE p."__rn" <= :gw_take))[1] AS "end"`
              : "") +
            ` FROM (${pageSubquery(keyset.sql, query.sort, page.sql, "first")}) p`,
          names: namesOf(values),
        };
      });
      const [row, total] = await pageAndTotal(ctx, statement, values, counted ? query.where : undefined);
      if (!row) return undefined;
      row.__after = query.keyset !== null;
      row.total = total;
      return answer(row);
    },
  };
}

/** A BookingEdge's JSON: cursor, node, __typename. */
function edgeJson(sets: SelectionSetNode[], emit: EmitScope, cursor: string): string {
  const parts: string[] = [];
  for (const selected of collectFields("BookingEdge", sets, emit)) {
    const key = literal(`${parts.length ? "," : "{"}${JSON.stringify(selected.key)}:`);
    if (selected.name === "cursor") parts.push(`${key} || ${cursor}`);
    else if (selected.name === "node") parts.push(`${key} || ${objectJson("Booking", "p", subSelections(selected), emit, true)}`);
    else if (selected.name === "__typename") parts.push(`${key} || '"BookingEdge"'`);
    else throw new NotCompiled(`BookingEdge.${selected.name}`);
  }
  return parts.length ? `(${parts.join(" || ")} || '}')` : `'{}'`;
}

/** `booking(id | uid)`: the Booking object; not found is left to the executor (it reports NOT_FOUND). */
function compileBookingLookup(root: Selected, scope: Compiling): RootFieldPlan {
  const emit = emitScope(scope);
  const object = objectJson("Booking", "p", subSelections(root), emit, true);
  const statements = new Statements(STATEMENTS_PER_FIELD);
  return {
    parse: emit.parse,
    async run(ctx, args) {
      const query: BookingQuery = await bookingLookupQuery(ctx, args);
      const page = pageColumns(object, requireViewer(ctx));
      const where = conditionsOf(query.where);
      const values = { ...where.params, ...page.params };
      const statement = statements.get(shapeKey(query.where, query.sort, page.sql), () => ({
        sql: `SELECT ${object} AS "r" FROM (SELECT b.*${page.sql} FROM "Booking" b WHERE ${where.sql} LIMIT 1) p`,
        names: namesOf(values),
      }));
      const row = await oneRow(ctx, statement, values);
      return row ? (row.r as string) : undefined;
    },
  };
}

/** `me`: the viewer's user row. */
function compileMe(root: Selected, scope: Compiling): RootFieldPlan {
  const emit = emitScope(scope);
  const user = scope.catalog.get("User");
  if (!user) throw new NotCompiled("User is not in the catalog");
  const sql = `SELECT ${objectJson("User", "u", subSelections(root), emit)} AS "r" FROM "${user.table}" u WHERE u."id" = :gw_me`;
  const statement = toPositional(sql, namesOf());
  return {
    parse: emit.parse,
    async run(ctx) {
      const row = await oneRow(ctx, statement, { gw_me: requireViewer(ctx).user.id });
      return row ? (row.r as string) : undefined;
    },
  };
}
