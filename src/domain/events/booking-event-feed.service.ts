import type { RequestContext } from "../../context";
import { queryPrepared } from "../../db/rows";
import { requireViewer } from "../booking/booking-read.service";
import { readableBookings } from "../booking/booking.policy";
import { badInput, notFound } from "../errors";
import type { BookingEventType } from "./booking-events";

/**
 * The change feed (`bookingEvents(after, first, filter)`): events in commit-safe order, only those
 * whose booking the viewer may read now.
 *
 * **Why paging never skips an event.** An event's id comes from a sequence, taken before its
 * transaction commits, so ids do not follow commit order: a transaction with a smaller id can commit
 * after a client has read past it. Each event therefore carries its transaction's id (`xid`), and the
 * feed returns only events of transactions older than every transaction still running
 * (`xid < pg_snapshot_xmin(pg_current_snapshot())`): those have all ended, so nothing can ever
 * appear before them. Pages are ordered by (xid, id) and the cursor holds both; an event committed
 * later belongs to a transaction that was running when the page was read, whose xid is at or above
 * that page's horizon, so after the cursor. The cost: an event shows once every transaction older
 * than it has ended, in the whole Postgres cluster (the gateway's own are bounded by
 * REQUEST_TIMEOUT_MS; another application's long transaction holds the feed back while it runs).
 */

export const MAX_EVENTS_PAGE = 250;
const DAY = 86_400_000;

export interface BookingEventNode {
  id: string;
  type: BookingEventType;
  occurredAt: Date;
  bookingId: number;
  previousBookingId: number | null;
}

export interface BookingEventPageResult {
  nodes: BookingEventNode[];
  /** Where the next page starts: the last event of a full page, else the horizon (never null). */
  endCursor: string;
  hasNextPage: boolean;
}

interface Cursor {
  xid: string;
  id: string;
  at: number;
}

/** A `BookingEvent.id` from the event's transaction id, id and time (also the delivery log's `eventId`). */
export function bookingEventId(xid: string, id: string, occurredAt: Date): string {
  return encodeCursor({ xid, id, at: occurredAt.getTime() });
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify({ x: c.xid, i: c.id, t: c.at })).toString("base64url");
}

function decodeCursor(text: string, retentionDays: number, now: number): Cursor {
  let parsed: { x?: unknown; i?: unknown; t?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as typeof parsed;
  } catch {
    throw badInput("after", "after is not a cursor of this feed.");
  }
  const { x, i, t } = parsed ?? {};
  if (
    typeof x !== "string" ||
    !/^\d{1,20}$/.test(x) ||
    typeof i !== "string" ||
    !/^\d{1,19}$/.test(i) ||
    typeof t !== "number" ||
    !Number.isFinite(t)
  ) {
    throw badInput("after", "after is not a cursor of this feed.");
  }
  // xid8 and bigint ranges: a larger number would fail in Postgres, not here.
  if (BigInt(x) > 18_446_744_073_709_551_615n || BigInt(i) > 9_223_372_036_854_775_807n)
    throw badInput("after", "after is not a cursor of this feed.");
  if (t < now - retentionDays * DAY)
    throw badInput("after", `after is older than the events kept (${retentionDays} days): start again without it.`);
  return { xid: x, id: i, at: t };
}

export interface FeedArgs {
  after?: string | null;
  first?: number | null;
  filter?: { types?: BookingEventType[] | null; bookingIds?: number[] | null } | null;
}

/** One page of the feed for the viewer. */
export async function bookingEventsPage(ctx: RequestContext, args: FeedArgs): Promise<BookingEventPageResult> {
  const viewer = requireViewer(ctx);
  if (!ctx.bookingEvents) throw notFound("Booking events are turned off on this gateway (BOOKING_EVENTS=off).");
  const retentionDays = ctx.bookingEventsRetentionDays;
  const first = args.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > MAX_EVENTS_PAGE) throw badInput("first", `first must be 1 to ${MAX_EVENTS_PAGE}.`);
  const cursor = args.after != null ? decodeCursor(args.after, retentionDays, Date.now()) : null;
  if ((args.filter?.bookingIds?.length ?? 0) > MAX_EVENTS_PAGE)
    throw badInput("filter.bookingIds", `At most ${MAX_EVENTS_PAGE} booking ids.`);
  const readable = readableBookings(viewer);
  const params: Record<string, unknown> = {
    ev_xid: cursor?.xid ?? null,
    ev_id: cursor?.id ?? null,
    ev_types: args.filter?.types?.length ? args.filter.types : null,
    ev_bookings: args.filter?.bookingIds?.length ? args.filter.bookingIds : null,
    ev_limit: first + 1,
    ...(readable?.params ?? {}),
  };
  // The horizon (the oldest running transaction) comes from the statement's own snapshot; a page
  // that reaches the end of what is readable answers it as `endCursor`, so a cursor always moves on
  // (a viewer who sees few events does not rescan the log, nor does its cursor age out).
  const sql = `
    WITH h AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS x)
    SELECT h.x::text AS horizon, ev.* FROM h LEFT JOIN LATERAL (
      SELECT e.id::text AS id, e.xid::text AS xid, e.type, e.booking_id AS "bookingId", e.previous_booking_id AS "previousBookingId", e.occurred_at AS "occurredAt"
      FROM gateway.booking_events e
      WHERE e.xid < h.x
        AND (CAST(:ev_xid AS xid8) IS NULL OR (e.xid, e.id) > (CAST(:ev_xid AS xid8), CAST(:ev_id AS bigint)))
        AND (CAST(:ev_types AS text[]) IS NULL OR e.type = ANY(CAST(:ev_types AS text[])))
        AND (CAST(:ev_bookings AS int[]) IS NULL OR e.booking_id = ANY(CAST(:ev_bookings AS int[])))
        AND EXISTS (SELECT 1 FROM "Booking" b WHERE b.id = e.booking_id${readable ? ` AND ${readable.sql}` : ""})
      ORDER BY e.xid, e.id
      LIMIT CAST(:ev_limit AS int)) ev ON TRUE`;
  const [text, values] = ctx.dataSource.driver.escapeQueryWithParameters(sql, params);
  // The primary: a replica's horizon is its own, and the feed must not run behind a write just made.
  const rows = await queryPrepared<Partial<BookingEventNode> & { xid: string | null; id: string | null; horizon: string }>(
    ctx.dataSource,
    text,
    values,
    ctx.store,
    true,
  );
  const events = rows.filter((r) => r.id != null) as Array<BookingEventNode & { xid: string; horizon: string }>;
  const page = events.slice(0, first);
  const nodes = page.map((r) => ({
    id: encodeCursor({ xid: r.xid, id: r.id, at: r.occurredAt.getTime() }),
    type: r.type,
    occurredAt: r.occurredAt,
    bookingId: r.bookingId,
    previousBookingId: r.previousBookingId,
  }));
  const hasNextPage = events.length > first;
  const endCursor = hasNextPage ? nodes[nodes.length - 1].id : horizonCursor(rows[0].horizon);
  return { nodes, endCursor, hasNextPage };
}

/** A cursor at a log position (a horizon, or an event's (xid, id)). */
export function positionCursor(pos: { xid: bigint; id: bigint }): string {
  return encodeCursor({ xid: String(pos.xid), id: String(pos.id), at: Date.now() });
}

/** The log position of a cursor; BAD_USER_INPUT (field `after`) as the feed answers for a bad one. */
export function cursorPosition(ctx: RequestContext, text: string): { xid: bigint; id: bigint } {
  const c = decodeCursor(text, ctx.bookingEventsRetentionDays, Date.now());
  return { xid: BigInt(c.xid), id: BigInt(c.id) };
}

/** Which of `bookingIds` the viewer may read now (the one visibility policy). */
export async function readableAmong(ctx: RequestContext, bookingIds: number[]): Promise<Set<number>> {
  const viewer = requireViewer(ctx);
  // Also for a system admin (no restriction): the booking must still exist, as in the feed.
  const readable = readableBookings(viewer);
  const [text, values] = ctx.dataSource.driver.escapeQueryWithParameters(
    `SELECT b.id FROM "Booking" b WHERE b.id = ANY(CAST(:ev_ids AS int[]))${readable ? ` AND ${readable.sql}` : ""}`,
    { ev_ids: bookingIds, ...(readable?.params ?? {}) },
  );
  const rows = await queryPrepared<{ id: number }>(ctx.dataSource, text, values, ctx.store, true);
  return new Set(rows.map((r) => r.id));
}

/** The cursor just below the oldest running transaction: everything before it has been read. */
function horizonCursor(xmin: string): string {
  return encodeCursor({ xid: xmin, id: "0", at: Date.now() });
}

/**
 * Where a subscription without `after` starts: the horizon now (events of transactions still
 * running then are delivered when they commit).
 */
export async function feedHead(ctx: RequestContext): Promise<string> {
  const [row] = await queryPrepared<{ horizon: string }>(
    ctx.dataSource,
    `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon`,
    [],
    ctx.store,
    true,
  );
  return horizonCursor(row.horizon);
}
