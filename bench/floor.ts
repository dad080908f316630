import http from "node:http";
import { Pool } from "pg";
import { DEFAULT_IDLE_TIMEOUT_MS } from "../src/config";

/**
 * The reference floor: the least a server can do to answer the benchmark's list queries, a Node
 * HTTP server that runs ONE hand-written SQL statement building the whole JSON response in Postgres
 * and writes it out. No GraphQL, no auth, no ORM. The gateway is reported as a ratio of this.
 */

const iso = (col: string) => `to_char(${col}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * A page of 50 bookings (START_TIME ASC, id) with user, eventType, attendees and payment, its rows
 * chosen by `rows` (inOrderRows or lastPageRows). The page is chosen first and its JSON built after,
 * so rows an OFFSET skips cost no JSON (the form the gateway's statements take too).
 */
export function floorSql(rows: string): string {
  return `
    SELECT json_build_object('data', json_build_object('bookings', json_build_object('nodes',
             coalesce(json_agg(s.node ORDER BY s.start_time, s.id), '[]'::json))))::text AS body
    FROM (
      SELECT b.id, b."startTime" AS start_time, json_build_object(
        'id', b.id, 'uid', b.uid, 'title', b.title, 'status', upper(b.status::text),
        'startTime', ${iso('b."startTime"')}, 'endTime', ${iso('b."endTime"')},
        'user', (SELECT json_build_object('id', u.id, 'name', u.name, 'email', u.email) FROM users u WHERE u.id = b."userId"),
        'eventType', (SELECT json_build_object('id', et.id, 'title', et.title, 'length', et.length) FROM "EventType" et WHERE et.id = b."eventTypeId"),
        'attendees', coalesce((SELECT json_agg(json_build_object('name', a.name, 'email', a.email) ORDER BY a.id) FROM "Attendee" a WHERE a."bookingId" = b.id), '[]'::json),
        'payment', coalesce((SELECT json_agg(json_build_object('amount', p.amount, 'currency', p.currency, 'success', p.success) ORDER BY p.id) FROM "Payment" p WHERE p."bookingId" = b.id), '[]'::json)
      ) AS node
      FROM (${rows}) b
    ) s`;
}

/** The rows of the page at `offset` of the bookings `where` (a condition on `b`) allows, read in order. */
export function inOrderRows(where: string, offset = 0): string {
  return `SELECT * FROM "Booking" b ${where} ORDER BY b."startTime", b.id LIMIT 50${offset ? ` OFFSET ${offset}` : ""}`;
}

/**
 * The rows of the page at `offset` read from the end of the order: count the bookings, read the
 * reverse order (startTime DESC, id DESC) from `count - offset - 50`. Reading in order from a deep
 * offset reads every row it skips; with Cal.com's indexes only (no (startTime, id) index) that is a
 * sort of runs of equal start times all the way down, and the gateway reads such pages from the end
 * (src/read-path/root-fields.ts fromEndRows), which made the floor's in-order statement no floor:
 * 16 req/s against the gateway's 131 (bench run of 2026-12-03 09:17). This is the least a statement
 * can do for a page near the end without knowing the count beforehand. The outer LIMIT tells the
 * planner how few rows come: without it the estimate priced the JSON high enough to JIT-compile.
 */
export function lastPageRows(offset: number): string {
  return `WITH n AS MATERIALIZED (SELECT count(*) AS n FROM "Booking")
    SELECT * FROM (SELECT * FROM "Booking" b ORDER BY b."startTime" DESC, b.id DESC
      LIMIT greatest(0, least(50, (SELECT n FROM n) - ${offset})) OFFSET greatest(0, (SELECT n FROM n) - ${offset} - 50)) r LIMIT 50`;
}

/** A regular user's visibility, hand-written in the same index-friendly form as the gateway's policy. */
export function regularUserCondition(userId: number, email: string): string {
  return `WHERE b.id = ANY(ARRAY(
    SELECT id FROM "Booking" WHERE "userId" = ${userId}
    UNION SELECT "bookingId" FROM "Attendee" WHERE lower(email) = '${email.toLowerCase()}'
    UNION SELECT id FROM "Booking" WHERE "eventTypeId" IN (SELECT id FROM "EventType" WHERE "userId" = ${userId})
    UNION SELECT id FROM "Booking" WHERE "eventTypeId" IN (
      SELECT et.id FROM "EventType" et JOIN "Membership" m ON m."teamId" = et."teamId"
      WHERE m."userId" = ${userId} AND m.accepted AND m.role IN ('ADMIN', 'OWNER'))))`;
}

/**
 * Starts the floor server: `POST /all` answers query (a), `POST /user` query (c), `POST /organizer`
 * one organizer's page (o), `POST /last` the last offset page (b). `npm run bench`
 * runs it as a process of its own (this file's entry point below), like the gateway: sharing the
 * load generator's process instead made it about 15% faster (measured: 1,366 against 1,189 req/s).
 */
export async function startFloor(
  url: string,
  regularUser: { id: number; email: string },
  organizerId: number,
  lastOffset: number,
  poolSize = 10,
): Promise<{ port: number; close(): Promise<void> }> {
  // Idle connections kept as long as the gateway keeps its own (DB_IDLE_TIMEOUT_MS's default): with
  // node-postgres' 10 s, each of the bench's alternated rounds began with the floor reconnecting.
  const pool = new Pool({ connectionString: url, max: poolSize, idleTimeoutMillis: DEFAULT_IDLE_TIMEOUT_MS });
  const statements: Record<string, string> = {
    "/all": floorSql(inOrderRows("")),
    "/user": floorSql(inOrderRows(regularUserCondition(regularUser.id, regularUser.email))),
    "/organizer": floorSql(inOrderRows(`WHERE b."userId" = ${organizerId}`)),
    "/last": floorSql(lastPageRows(lastOffset)),
  };
  const server = http.createServer((req, res) => {
    const sql = statements[req.url ?? ""];
    req.resume();
    req.on("end", () => {
      if (!sql) {
        res.writeHead(404).end();
        return;
      }
      pool.query<{ body: string }>(sql).then(
        (r) => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(r.rows[0].body);
        },
        (err: Error) => {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ errors: [{ message: err.message }] }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await pool.end();
    },
  };
}

/** Entry point for the benchmark: `node dist/bench/floor.js` with FLOOR_DATABASE_URL, FLOOR_USER_ID, FLOOR_USER_EMAIL, FLOOR_ORGANIZER_ID, FLOOR_LAST_OFFSET, FLOOR_POOL_SIZE (default 10). */
if (require.main === module) {
  const url = process.env.FLOOR_DATABASE_URL;
  if (!url) throw new Error("FLOOR_DATABASE_URL is not set");
  const regularUser = { id: Number(process.env.FLOOR_USER_ID), email: String(process.env.FLOOR_USER_EMAIL) };
  void startFloor(
    url,
    regularUser,
    Number(process.env.FLOOR_ORGANIZER_ID),
    Number(process.env.FLOOR_LAST_OFFSET),
    process.env.FLOOR_POOL_SIZE ? Number(process.env.FLOOR_POOL_SIZE) : undefined,
  ).then((floor) => {
    console.log(`floor ready on port ${floor.port}`);
    process.once("SIGTERM", () => void floor.close().finally(() => process.exit(0)));
  });
}
