import type { RequestContext } from "../../context";
import { requireViewer } from "../booking/booking-read.service";
import { notFound } from "../errors";
import { bookingEventsPage, feedHead, type BookingEventNode, type FeedArgs } from "./booking-event-feed.service";

/** Something that wakes a stream when events may have been committed (server/booking-event-bus.ts). */
export interface Wakeups {
  subscribe(listener: () => void): () => void;
}

/** Events a stream reads per feed page. */
const PAGE = 100;

/**
 * A subscription's events: the change feed read from the stream's own cursor each time it is woken,
 * so replay (from `after`) and live delivery are one loop, with no gap and no duplicate, and the
 * visibility policy is applied to every event when it is read. Without `after` it starts at the
 * newest event committed so far. `beforeEach` runs before each event is handed out (fresh loaders,
 * so the `booking` field shows the booking as it is now).
 */
export class BookingEventStream implements AsyncIterableIterator<BookingEventNode> {
  private readonly buffer: BookingEventNode[] = [];
  private cursor: string | null | undefined;
  private pending = true;
  private closed = false;
  private wakeUp: (() => void) | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly ctx: RequestContext,
    wakeups: Wakeups,
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
    while (!this.closed) {
      const event = this.buffer.shift();
      if (event) {
        this.beforeEach();
        return { value: event, done: false };
      }
      if (!this.pending) {
        await new Promise<void>((resolve) => (this.wakeUp = resolve));
        this.wakeUp = undefined;
        continue;
      }
      this.pending = false;
      if (this.cursor === undefined) this.cursor = await feedHead(this.ctx);
      const page = await bookingEventsPage(this.ctx, { after: this.cursor, first: PAGE, filter: this.args.filter });
      if (this.closed) break;
      this.buffer.push(...page.nodes);
      this.cursor = page.endCursor;
      if (page.hasNextPage) this.pending = true;
    }
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<BookingEventNode>> {
    this.closed = true;
    this.unsubscribe();
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
  return new BookingEventStream(ctx, ctx.bookingEventBus, args, beforeEach);
}
