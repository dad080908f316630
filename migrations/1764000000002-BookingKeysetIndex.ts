import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * `bookingsConnection` pages by keyset: `("startTime", id) > ($1, $2) ORDER BY "startTime", id` for the
 * default order. A btree on exactly that pair turns each page into an index range scan that stops
 * after `first + 1` rows, wherever the page is. Cal.com has no such index; on a Cal.com-managed
 * database (DB_MIGRATIONS=off) pages are still correct, only slower; the README says how to add it.
 */
export class BookingKeysetIndex1764000000002 implements MigrationInterface {
  name = "BookingKeysetIndex1764000000002";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "Booking_startTime_id_idx" ON "Booking"("startTime", "id")`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "Booking_startTime_id_idx"`);
  }
}
