import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The gateway's own table of booking events, in the gateway's own schema (`gateway`), so a Cal.com
 * database's tables stay untouched. Each event records the id of the transaction that wrote it
 * (`xid`, Postgres's 64-bit `pg_current_xact_id()`): the change feed orders by (xid, id) and reads
 * only transactions older than every one still running, so a late commit can never land behind a
 * cursor a client already holds.
 */
export class BookingEvents1764100000000 implements MigrationInterface {
  name = "BookingEvents1764100000000";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE gateway.booking_events (
        id BIGSERIAL PRIMARY KEY,
        xid XID8 NOT NULL DEFAULT pg_current_xact_id(),
        type TEXT NOT NULL,
        booking_id INTEGER NOT NULL,
        previous_booking_id INTEGER,
        "trigger" TEXT,
        data JSONB,
        occurred_at TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
      )`);
    await q.query(`CREATE INDEX booking_events_xid_id_idx ON gateway.booking_events (xid, id)`);
    await q.query(`CREATE INDEX booking_events_booking_id_idx ON gateway.booking_events (booking_id)`);
    await q.query(`CREATE INDEX booking_events_occurred_at_idx ON gateway.booking_events (occurred_at)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE gateway.booking_events`);
  }
}
