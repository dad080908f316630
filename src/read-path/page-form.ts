import type { DataSource } from "typeorm";
import type { RequestContext } from "../context";
import { BookingOrderField, OrderDirection, type BookingSort } from "../domain/booking/booking-order";

/**
 * How a `bookings` page past the first chooses its rows, per sort order, from the indexes the
 * database has on `"Booking"`:
 *
 * - `ids`: ids and sort keys first (a subquery with the LIMIT and OFFSET), the page's whole rows
 *   after, so the rows an OFFSET skips are read narrow: from a btree on (field, id) with an
 *   index-only scan (the gateway's `Booking_startTime_id_idx`), or sorted as ids and keys when no
 *   index gives the order.
 * - `rows`: the rows directly, when a btree leads with the field in an order it can be read in but
 *   does not hold (field, id) as its first two keys, as Cal.com's own
 *   `Booking_startTime_endTime_status_idx` on a database the gateway attaches to with
 *   `DB_MIGRATIONS=off`. The narrow form made the sort look cheap to the planner, which then sorted
 *   every row on disk (an external merge, about 60 ms for the last of 2,000 pages) instead of reading
 *   the index in order and sorting only the rows of equal start time (an incremental sort, as the
 *   floor of bench/ got for its wide rows read in order): 26–27 statements/s against 29–33 for the
 *   direct form, 10 at a time on a pool of 4 (2026-12-02, 100,000 bookings).
 *
 * A page of either form far down the order may be read from its other end (root-fields.ts fromEndRows).
 *
 * Read once per DataSource, by the first page past the first (the requests asking meanwhile wait for
 * that read), and kept: an index added or dropped later counts after a restart. A read that fails is
 * logged, its pages use `ids`, and the next page past the first asks again.
 */
export type PageForm = "ids" | "rows";

interface BookingIndex {
  /** The first two key columns (INCLUDE columns are not keys). */
  first: string;
  second: string | null;
  /** The first key's options: DESC and NULLS FIRST (pg_index.indoption bits 1 and 2). */
  descending: boolean;
  nullsFirst: boolean;
}

/** Per database, its indexes once read (undefined: the read failed, and the entry is gone). */
const indexes = new WeakMap<DataSource, Promise<readonly BookingIndex[] | undefined>>();

/** The form of a page past the first in `sort` on this request's database. */
export async function pageForm(ctx: RequestContext, sort: BookingSort): Promise<PageForm> {
  let reading = indexes.get(ctx.dataSource);
  if (!reading) {
    reading = readIndexes(ctx.dataSource).catch((err: Error) => {
      indexes.delete(ctx.dataSource);
      ctx.logger.warn('read path: could not read the indexes of "Booking"; later pages choose their rows by id first', {
        error: err.message,
      });
      return undefined;
    });
    indexes.set(ctx.dataSource, reading);
  }
  const read = await reading;
  return read ? formOf(read, sort) : "ids";
}

/** `rows` when a btree can give `sort`'s order by its first key but does not hold (field, id). */
export function formOf(read: readonly BookingIndex[], { field, direction }: BookingSort): PageForm {
  const column: string = field;
  // orderSql: ASC or DESC, NULLS LAST on updatedAt (Postgres' default for ASC, not for DESC).
  const nullsFirst = direction === OrderDirection.DESC && field !== BookingOrderField.UPDATED_AT;
  const descending = direction === OrderDirection.DESC;
  // Read forwards (both options as asked) or backwards (both flipped).
  const inOrder = read.some((i) => i.first === column && (i.descending !== descending) === (i.nullsFirst !== nullsFirst));
  const covering = read.some((i) => i.first === column && (field === BookingOrderField.ID || i.second === "id"));
  return inOrder && !covering ? "rows" : "ids";
}

/** The valid, plain (no expression, no predicate) btree indexes of `"Booking"`. */
async function readIndexes(ds: DataSource): Promise<readonly BookingIndex[]> {
  const rows: Array<{ first: string; second: string | null; options: number }> = await ds.query(
    `SELECT a1.attname AS first, CASE WHEN i.indnkeyatts >= 2 THEN a2.attname END AS second, i.indoption[0]::int AS options
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_am am ON am.oid = c.relam AND am.amname = 'btree'
       JOIN pg_attribute a1 ON a1.attrelid = i.indrelid AND a1.attnum = i.indkey[0]
       LEFT JOIN pg_attribute a2 ON a2.attrelid = i.indrelid AND a2.attnum = i.indkey[1]
      WHERE i.indrelid = '"Booking"'::regclass AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL`,
  );
  return rows.map((r) => ({ first: r.first, second: r.second, descending: (r.options & 1) !== 0, nullsFirst: (r.options & 2) !== 0 }));
}
