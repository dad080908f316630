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
 * than it has ended (the gateway's transactions are bounded by REQUEST_TIMEOUT_MS).
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
  endCursor: string | null;
  hasNextPage: boolean;
}

interface Cursor {
  xid: string;
  id: string;
  at: number;
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
  if (typeof x !== "string" || !/^\d{1,20}$/.test(x) || typeof i !== "string" || !/^\d{1,19}$/.test(i) || typeof t !== "number" || !Number.isFinite(t)) {
    throw badInput("after", "after is not a cursor of this feed.");
  }
  if (t < now - retentionDays * DAY) throw badInput("after", `after is older than the events kept (${retentionDays} days): start again without it.`);
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
  const readable = readableBookings(viewer);
  const params: Record<string, unknown> = {
    ev_xid: cursor?.xid ?? null,
    ev_id: cursor?.id ?? null,
    ev_types: args.filter?.types?.length ? args.filter.types : null,
    ev_bookings: args.filter?.bookingIds?.length ? args.filter.bookingIds : null,
    ev_limit: first + 1,
    ...(readable?.params ?? {}),
  };
  const sql = `
    SELECT e.id::text AS id, e.xid::text AS xid, e.type, e.booking_id AS "bookingId", e.previous_booking_id AS "previousBookingId", e.occurred_at AS "occurredAt"
    FROM gateway.booking_events e
    WHERE e.xid < pg_snapshot_xmin(pg_current_snapshot())
      AND (CAST(:ev_xid AS xid8) IS NULL OR (e.xid, e.id) > (CAST(:ev_xid AS xid8), CAST(:ev_id AS bigint)))
      AND (CAST(:ev_types AS text[]) IS NULL OR e.type = ANY(CAST(:ev_types AS text[])))
      AND (CAST(:ev_bookings AS int[]) IS NULL OR e.booking_id = ANY(CAST(:ev_bookings AS int[])))
      AND EXISTS (SELECT 1 FROM "Booking" b WHERE b.id = e.booking_id${readable ? ` AND ${readable.sql}` : ""})
    ORDER BY e.xid, e.id
    LIMIT CAST(:ev_limit AS int)`;
  const [text, values] = ctx.dataSource.driver.escapeQueryWithParameters(sql, params);
  // The primary: a replica's horizon is its own, and the feed must not run behind a write just made.
  const rows = await queryPrepared<BookingEventNode & { xid: string }>(ctx.dataSource, text, values, ctx.store, true);
  const page = rows.slice(0, first);
  const last = page[page.length - 1];
  const nodes = page.map((r) => ({
    id: encodeCursor({ xid: r.xid, id: r.id, at: r.occurredAt.getTime() }),
    type: r.type,
    occurredAt: r.occurredAt,
    bookingId: r.bookingId,
    previousBookingId: r.previousBookingId,
  }));
  return { nodes, endCursor: last ? nodes[nodes.length - 1].id : (args.after ?? null), hasNextPage: rows.length > first };
}

/**
 * The cursor of the newest event committed so far (below the horizon), or null when there is none:
 * where a subscription without `after` starts.
 */
export async function feedHead(ctx: RequestContext): Promise<string | null> {
  const rows = await queryPrepared<{ xid: string; id: string; occurredAt: Date }>(
    ctx.dataSource,
    `SELECT e.xid::text AS xid, e.id::text AS id, e.occurred_at AS "occurredAt" FROM gateway.booking_events e
     WHERE e.xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY e.xid DESC, e.id DESC LIMIT 1`,
    [],
    ctx.store,
    true,
  );
  const head = rows[0];
  return head ? encodeCursor({ xid: head.xid, id: head.id, at: head.occurredAt.getTime() }) : null;
}
