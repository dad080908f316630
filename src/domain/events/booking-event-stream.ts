import type { RequestContext } from "../../context";
import { classifyFault } from "../../db/faults";
import { requireViewer } from "../booking/booking-read.service";
import { badInput, notFound } from "../errors";
import {
  bookingEventsPage,
  cursorPosition,
  feedHead,
  MAX_EVENTS_PAGE,
  positionCursor,
  readableAmong,
  type BookingEventNode,
  type FeedArgs,
} from "./booking-event-feed.service";
import { comparePositions, type BookingEventWindow } from "./booking-event-window";

/** Something that wakes a stream when events may have been committed (server/booking-event-bus.ts). */
export interface Wakeups {
  subscribe(listener: () => void): () => void;
  /** The instance's shared read of the recent log, refreshed before each wake-up. */
  window?: BookingEventWindow;
}

/** A stream takes at most this many candidate events from the window at once (more: it reads the feed, paged). */
const MAX_FROM_WINDOW = 1_000;

/** Events a stream reads per feed page. */
const PAGE = 100;
/** Stream reads of one instance running at once (each takes a pooled connection). */
const CONCURRENT_READS = 2;
const RETRY_MS = [250, 500, 1_000, 2_000, 5_000];

/** A tiny counting semaphore: at most `limit` holders at once, the others queue in order. */
class Semaphore {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active += 1;
    try {
      return await work();
    } finally {
      this.active -= 1;
      this.queue.shift()?.();
    }
  }
}
const reads = new Semaphore(CONCURRENT_READS);

/**
 * A subscription's events: the change feed read from the stream's own cursor each time it is woken,
 * so replay (from `after`) and live delivery are one loop, with no gap and no duplicate, and the
 * visibility policy is applied to every event when it is read. Without `after` it starts at the
 * feed's horizon when it opens. Before each read the viewer is authenticated again (a revoked,
 * expired or locked key ends the stream). A read that fails for want of the database is retried
 * with backoff from the same cursor; any other failure ends the stream (and frees it). At most
 * CONCURRENT_READS streams of an instance read at once. `beforeEach` runs before each event is
 * handed out (fresh loaders, so the `booking` field shows the booking as it is now).
 */
export class BookingEventStream implements AsyncIterableIterator<BookingEventNode> {
  private readonly buffer: BookingEventNode[] = [];
  private cursor: string | undefined;
  private pending = true;
  private closed = false;
  private wakeUp: (() => void) | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly ctx: RequestContext,
    private readonly wakeups: Wakeups,
    private readonly args: Omit<FeedArgs, "first">,
    private readonly beforeEach: () => void,
  ) {
    this.cursor = args.after ?? undefined;
    this.unsubscribe = wakeups.subscribe(() => {
      this.pending = true;
      this.wakeUp?.();
    });
  }

  async next(): Promise<IteratorResult<BookingEventNode>> {
    let failures = 0;
    while (!this.closed) {
      const event = this.buffer.shift();
      if (event) {
        this.beforeEach();
        return { value: event, done: false };
      }
      if (!this.pending) {
        await this.sleep();
        continue;
      }
      this.pending = false;
      try {
        const page = await reads.run(async () => {
          if (this.ctx.reauthenticate) this.ctx.viewer = await this.ctx.reauthenticate();
          return this.read();
        });
        failures = 0;
        if (this.closed) break;
        this.buffer.push(...page.nodes);
        this.cursor = page.endCursor;
        if (page.hasNextPage) this.pending = true;
      } catch (err) {
        const fault = classifyFault(err);
        if (!this.closed && (fault === "unavailable" || fault === "overloaded" || fault === "timeout" || fault === "contention")) {
          this.pending = true;
          await this.sleep(RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]);
          failures += 1;
          continue;
        }
        await this.return();
        throw err;
      }
    }
    return { value: undefined, done: true };
  }

  /**
   * The next events after the cursor: from the instance's window when the cursor lies inside it
   * (the filter applied in memory, one visibility query for the candidates, none without any),
   * else from the feed.
   */
  private async read(): Promise<{ nodes: BookingEventNode[]; endCursor: string; hasNextPage: boolean }> {
    if (this.cursor === undefined) this.cursor = await feedHead(this.ctx);
    const slice = this.wakeups.window?.after(cursorPosition(this.ctx, this.cursor));
    if (!slice || slice.events.length > MAX_FROM_WINDOW) {
      return bookingEventsPage(this.ctx, { after: this.cursor, first: PAGE, filter: this.args.filter });
    }
    const types = this.args.filter?.types?.length ? new Set(this.args.filter.types) : undefined;
    const ids = this.args.filter?.bookingIds?.length ? new Set(this.args.filter.bookingIds) : undefined;
    const candidates = slice.events.filter((e) => (!types || types.has(e.node.type)) && (!ids || ids.has(e.node.bookingId)));
    const readable = candidates.length
      ? await readableAmong(this.ctx, [...new Set(candidates.map((e) => e.node.bookingId))])
      : new Set<number>();
    const moved = comparePositions(slice.end, cursorPosition(this.ctx, this.cursor)) > 0;
    return {
      nodes: candidates.filter((e) => readable.has(e.node.bookingId)).map((e) => e.node),
      endCursor: moved ? positionCursor(slice.end) : this.cursor,
      hasNextPage: false,
    };
  }

  /** Waits for a wake-up (or `ms`, when given). */
  private async sleep(ms?: number): Promise<void> {
    await new Promise<void>((resolve) => {
      this.wakeUp = resolve;
      if (ms !== undefined) setTimeout(resolve, ms).unref();
    });
    this.wakeUp = undefined;
  }

  async return(): Promise<IteratorResult<BookingEventNode>> {
    if (!this.closed) {
      this.closed = true;
      this.unsubscribe();
    }
    this.wakeUp?.();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<BookingEventNode> {
    return this;
  }
}

/** Opens the stream for a subscribe; NOT_FOUND when booking events are off. */
export function openBookingEventStream(ctx: RequestContext, args: Omit<FeedArgs, "first">, beforeEach: () => void): BookingEventStream {
  requireViewer(ctx);
  if (!ctx.bookingEvents || !ctx.bookingEventBus) throw notFound("Booking events are turned off on this gateway (BOOKING_EVENTS=off).");
  // Checked here as the feed checks them: a stream served from the window never asks the feed.
  if ((args.filter?.bookingIds?.length ?? 0) > MAX_EVENTS_PAGE)
    throw badInput("filter.bookingIds", `At most ${MAX_EVENTS_PAGE} booking ids.`);
  if (args.after != null) cursorPosition(ctx, args.after);
  return new BookingEventStream(ctx, ctx.bookingEventBus, args, beforeEach);
}
