import type { DataSource } from "typeorm";
import type { RequestContext } from "../context";
import { BookingOrderField } from "../domain/booking/booking-order";

/**
 * How a `bookings` page past the first chooses its rows, per sort field, from the indexes the
 * database has on `"Booking"`:
 *
 * - `ids`: ids and sort keys first (a subquery with the LIMIT and OFFSET), the page's whole rows
 *   after, so the rows an OFFSET skips are read narrow: from an index on (field, id) with an
 *   index-only scan (the gateway's `Booking_startTime_id_idx`), or sorted as ids and keys when no
 *   index leads with the field.
 * - `rows`: the rows directly, when an index leads with the field but does not hold (field, id), as
 *   Cal.com's own `Booking_startTime_endTime_status_idx` on a database the gateway attaches to with
 *   `DB_MIGRATIONS=off`. The narrow form made the sort look cheap to the planner, which then sorted
 *   every row on disk (an external merge, 60 ms for the last of 2,000 pages) instead of reading the
 *   index in order and sorting only the rows of equal start time (an incremental sort, as the floor
 *   of bench/ gets for its wide rows): 26–27 statements/s against 29–33 for the direct form, 10 at a
 *   time on a pool of 4 (2026-12-02, 100,000 bookings).
 *
 * Read once per DataSource (the first page past the first asks) and kept: an index added or dropped
 * later counts after a restart. Until it is known, or if it cannot be read, pages use `ids`.
 */
export type PageForm = "ids" | "rows";

const forms = new WeakMap<DataSource, Promise<ReadonlyMap<string, PageForm>>>();

/** The form of a page past the first sorted by `field` on this request's database. */
export async function pageForm(ctx: RequestContext, field: BookingOrderField): Promise<PageForm> {
  let known = forms.get(ctx.dataSource);
  if (!known) {
    known = readForms(ctx.dataSource);
    forms.set(ctx.dataSource, known);
    // A failed read (the database away) is asked again by a later page, not kept.
    known.catch(() => forms.delete(ctx.dataSource));
  }
  return (await known.catch(() => undefined))?.get(field) ?? "ids";
}

/** Each sort field's form from the first two key columns of `"Booking"`'s plain valid indexes. */
async function readForms(ds: DataSource): Promise<ReadonlyMap<string, PageForm>> {
  const rows: Array<{ first: string; second: string | null }> = await ds.query(
    `SELECT a1.attname AS first, a2.attname AS second
       FROM pg_index i
       JOIN pg_attribute a1 ON a1.attrelid = i.indrelid AND a1.attnum = i.indkey[0]
       LEFT JOIN pg_attribute a2 ON a2.attrelid = i.indrelid AND a2.attnum = i.indkey[1]
      WHERE i.indrelid = '"Booking"'::regclass AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL`,
  );
  return new Map(
    Object.values(BookingOrderField).map((field): [string, PageForm] => {
      const column: string = field;
      const leading = rows.filter((r) => r.first === column);
      const covering = leading.some((r) => field === BookingOrderField.ID || r.second === "id");
      return [field, leading.length > 0 && !covering ? "rows" : "ids"];
    }),
  );
}
