import type { DataSource } from "typeorm";
import type { BookingEventType } from "./booking-events";
import { bookingEventId, type BookingEventNode } from "./booking-event-feed.service";

/**
 * The recent part of the event log, read once per instance for all its subscriptions.
 *
 * Without it each subscription read the feed from its own cursor on every wake-up: with 1,000 open
 * subscriptions a single commit cost 1,000 queries, most of them for subscriptions filtered to
 * other bookings. The bus refreshes this window on each wake-up with one query (the same
 * commit-safe read as the feed: only transactions older than every running one, in (xid, id)
 * order); a stream whose cursor lies inside the window takes its candidate events from memory,
 * applies its filter there, and asks the database only which of the candidates' bookings its viewer
 * may read now (no query at all when no event matches, or for a system admin). A stream behind the
 * window (replaying an older `after`) reads the feed itself until it catches up.
 *
 * Bounded: at most MAX_EVENTS events are kept; the oldest fall out (streams behind them read the
 * feed). Refreshes never overlap; a refresh that finds more than a page reads page by page.
 */

export interface Position {
  xid: bigint;
  id: bigint;
}

export interface WindowEvent {
  pos: Position;
  node: BookingEventNode;
}

/** Events kept in memory per instance. */
export const MAX_EVENTS = 10_000;
/** Events read per refresh query. */
const PAGE = 2_000;

export const comparePositions = (a: Position, b: Position): number =>
  a.xid !== b.xid ? (a.xid < b.xid ? -1 : 1) : a.id === b.id ? 0 : a.id < b.id ? -1 : 1;

export class BookingEventWindow {
  private events: WindowEvent[] = [];
  /** Every event after `start` and before `end` is in `events` (undefined until the first refresh). */
  private start: Position | undefined;
  private end: Position | undefined;
  private refreshing: Promise<boolean> | undefined;

  constructor(private readonly dataSource: DataSource) {}

  /** The window's end (a horizon), once it has been read. */
  get endPosition(): Position | undefined {
    return this.end;
  }

  /**
   * Reads what was committed since the last refresh (the first one only takes the horizon). Answers
   * whether new events arrived. Concurrent callers share one refresh.
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.read().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Forgets everything (after the database was away: the next refresh starts again at the horizon). */
  reset(): void {
    this.events = [];
    this.start = undefined;
    this.end = undefined;
  }

  private async read(): Promise<boolean> {
    let arrived = false;
    for (let page = 0; page < MAX_EVENTS / PAGE; page += 1) {
      const after = this.end;
      const rows = await this.dataSource.query<
        Array<{
          horizon: string;
          id: string | null;
          xid: string;
          type: BookingEventType;
          bookingId: number;
          previousBookingId: number | null;
          occurredAt: Date;
        }>
      >(
        `WITH h AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS x)
         SELECT h.x::text AS horizon, ev.* FROM h LEFT JOIN LATERAL (
           SELECT e.id::text AS id, e.xid::text AS xid, e.type, e.booking_id AS "bookingId",
                  e.previous_booking_id AS "previousBookingId", e.occurred_at AS "occurredAt"
           FROM gateway.booking_events e
           WHERE $1::boolean AND e.xid < h.x AND (e.xid, e.id) > ($2::xid8, $3::bigint)
           ORDER BY e.xid, e.id LIMIT $4) ev ON TRUE`,
        [after !== undefined, String(after?.xid ?? 0n), String(after?.id ?? 0n), PAGE],
      );
      const horizon: Position = { xid: BigInt(rows[0].horizon), id: 0n };
      const found = rows.filter((r) => r.id != null);
      for (const r of found) {
        this.events.push({
          pos: { xid: BigInt(r.xid), id: BigInt(r.id!) },
          node: {
            id: bookingEventId(r.xid, r.id!, r.occurredAt),
            type: r.type,
            occurredAt: r.occurredAt,
            bookingId: r.bookingId,
            previousBookingId: r.previousBookingId,
          },
        });
      }
      arrived ||= found.length > 0;
      if (this.start === undefined) this.start = horizon; // the first read: nothing before it is kept
      if (found.length < PAGE) {
        // Everything before the horizon has been read (the horizon never moves back).
        if (this.end === undefined || comparePositions(horizon, this.end) > 0) this.end = horizon;
        break;
      }
      this.end = this.events[this.events.length - 1].pos;
    }
    if (this.events.length > MAX_EVENTS) {
      const dropped = this.events.splice(0, this.events.length - MAX_EVENTS);
      this.start = dropped[dropped.length - 1].pos;
    }
    return arrived;
  }

  /**
   * The events after `after` up to the window's end, or undefined when `after` lies before the
   * window (the caller reads the feed instead). `end` is where the caller's cursor goes next:
   * never behind `after` (a cursor a stream got from its own, later, feed read stays).
   */
  after(after: Position): { events: WindowEvent[]; end: Position } | undefined {
    if (this.start === undefined || this.end === undefined || comparePositions(after, this.start) < 0) return undefined;
    if (comparePositions(after, this.end) >= 0) return { events: [], end: after };
    // Binary search for the first event past `after`.
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (comparePositions(this.events[mid].pos, after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return { events: this.events.slice(lo), end: this.end };
  }
}
