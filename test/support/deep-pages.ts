import type { TestGateway } from "./harness";

/**
 * 2,410 bookings of `userId` (start times in threes, so ties are broken by id; created in one
 * statement, so their createdAt is one value; every fourth cancelled) and 200 of `otherUserId`, which
 * `userId` cannot see; then ANALYZE, so the table's statistics are as Postgres keeps them (the read
 * path's deep pages choose their end from that estimate, src/read-path/root-fields.ts fromEndRows).
 */
export async function insertDeepBookings(gw: TestGateway, userId: number, otherUserId: number): Promise<void> {
  const insert = (owner: number, count: number) =>
    gw.dataSource.query(
      `INSERT INTO "Booking" (uid, "userId", title, "startTime", "endTime", status)
       SELECT gen_random_uuid()::text, $1, 'Deep ' || i, timestamp '2031-01-01' + (i / 3) * interval '1 hour',
              timestamp '2031-01-01' + (i / 3) * interval '1 hour' + interval '30 minutes',
              (CASE WHEN i % 4 = 0 THEN 'cancelled' ELSE 'accepted' END)::"BookingStatus"
         FROM generate_series(1, $2) i`,
      [owner, count],
    );
  await insert(userId, 2_410);
  await insert(otherUserId, 200);
  await gw.dataSource.query(`ANALYZE "Booking"`);
}

const COLUMNS = { START_TIME: "startTime", CREATED_AT: "createdAt" } as const;

/**
 * Each page of 50 of `userId`'s bookings, asked through GraphQL with the viewer's `key` in each order
 * and direction, with and without a status filter, equals plain SQL's page (ids in order) and
 * hasNextPage.
 */
export async function expectPagesAsPlainSql(
  gw: TestGateway,
  key: string,
  userId: number,
  fields: ReadonlyArray<keyof typeof COLUMNS>,
  pages: readonly number[],
): Promise<void> {
  for (const field of fields)
    for (const direction of ["ASC", "DESC"] as const)
      for (const filter of ["", `, filter: { status: [ACCEPTED] }`])
        for (const page of pages) {
          const res = await gw.gql(
            `{ bookings(take: 50, page: ${page}, orderBy: { field: ${field}, direction: ${direction} }${filter}) { hasNextPage nodes { id } } }`,
            {},
            key,
          );
          expect(res.body.errors).toBeUndefined();
          const want: Array<{ id: number }> = await gw.dataSource.query(
            `SELECT id FROM "Booking" WHERE "userId" = $1 ${filter ? `AND status = 'accepted'` : ""}
              ORDER BY "${COLUMNS[field]}" ${direction}, id ${direction} LIMIT 51 OFFSET ${(page - 1) * 50}`,
            [userId],
          );
          const got = res.body.data!.bookings as { hasNextPage: boolean; nodes: Array<{ id: number }> };
          expect({ field, direction, filter, page, ids: got.nodes.map((n) => n.id), more: got.hasNextPage }).toEqual({
            field,
            direction,
            filter,
            page,
            ids: want.slice(0, 50).map((r) => r.id),
            more: want.length > 50,
          });
        }
}
