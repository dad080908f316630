import { Client } from "pg";
import { createApiKey, createEventType, createUser } from "./support/factories";
import { createTestDatabase, dropTestDatabase, startTestGateway, type TestGateway } from "./support/harness";
import { adminUrl, urlForDatabase } from "./support/env";

/**
 * DATABASE_REPLICA_URLS: queries read from a replica; a mutation and what it reads back use the
 * primary. The "replica" is a copy of the primary taken before the test writes, so where a read
 * went shows in what it finds.
 */
describe("read replicas", () => {
  let primary: string;
  let replica: string;
  let gw: TestGateway;
  let key: string;
  let eventTypeId: number;

  beforeAll(async () => {
    primary = await createTestDatabase();
    // Seed the primary through a short-lived gateway, then copy it (a template needs no open connections).
    const seeding = await startTestGateway({ databaseName: primary });
    const user = await createUser(seeding.dataSource);
    key = await createApiKey(seeding.dataSource, user);
    eventTypeId = (await createEventType(seeding.dataSource, { userId: user.id })).id;
    await seeding.close();
    replica = `${primary}_replica`;
    const admin = new Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${replica}" TEMPLATE "${primary}"`);
    await admin.end();
    gw = await startTestGateway({ databaseName: primary, env: { DATABASE_REPLICA_URLS: urlForDatabase(replica) } });
  });
  afterAll(async () => {
    await gw.close();
    await dropTestDatabase(replica);
    await dropTestDatabase(primary);
  });

  it("answers a mutation from the primary, including its read-back, and queries from the replica", async () => {
    const created = await gw.gql(
      `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id attendees { email } eventType { id } } }`,
      { in: { eventTypeId, start: "2033-05-05T10:00:00Z", timeZone: "UTC", responses: { name: "R", email: "r@example.test" } } },
      key,
    );
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data!.createBooking).toMatchObject({ attendees: [{ email: "r@example.test" }], eventType: { id: eventTypeId } });
    const id = created.body.data!.createBooking.id;
    // The replica was copied before the booking existed: a query cannot see it there.
    const read = await gw.gql(`query($id: Int) { booking(id: $id) { id } }`, { id }, key);
    expect(read.body.errors?.[0].extensions?.code).toBe("NOT_FOUND");
    const [row] = await gw.dataSource.query(`SELECT id FROM "Booking" WHERE id = $1`, [id]);
    expect(row).toEqual({ id });
  });
});
