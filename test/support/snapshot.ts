import type { DataSource } from "typeorm";

const TABLES = [
  "Booking",
  "Attendee",
  "BookingSeat",
  "Payment",
  "BookingReference",
  "WorkflowReminder",
  "InstantMeetingToken",
  "WebhookScheduledTriggers",
  "users",
  "EventType",
  "Membership",
  "Team",
  "ApiKey",
];

/** Every row of the gateway's tables as text, to prove a failed mutation changed nothing. */
export async function snapshotTables(ds: DataSource): Promise<Record<string, string[]>> {
  const snapshot: Record<string, string[]> = {};
  for (const table of TABLES) {
    const rows: Array<{ row: string }> = await ds.query(`SELECT row_to_json(t)::text AS row FROM "${table}" t ORDER BY 1`);
    snapshot[table] = rows.map((r) => r.row);
  }
  return snapshot;
}
