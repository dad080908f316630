import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Indexes the gateway adds on top of Cal.com's: attendee e-mails are matched case-insensitively
 * (`lower(email)`), which Cal.com's plain `email` index cannot serve. On a Cal.com-managed database
 * (DB_MIGRATIONS=off) the query still works, only without this index; the README says how to add it.
 */
export class GatewayLookupIndexes1764000000001 implements MigrationInterface {
  name = "GatewayLookupIndexes1764000000001";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "Attendee_lower_email_idx" ON "Attendee"(lower("email"))`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "Attendee_lower_email_idx"`);
  }
}
