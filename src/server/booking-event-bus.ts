import { EventEmitter } from "node:events";
import { Client } from "pg";
import type { DataSource } from "typeorm";
import { BOOKING_EVENTS_CHANNEL, onBookingEventsCommitted } from "../domain/events/booking-events";
import { BookingEventWindow } from "../domain/events/booking-event-window";
import type { Logger } from "../logger";
import { Throttle } from "./throttle";

/** How often the bus looks for events without a NOTIFY (one held back behind a slow transaction, a lost connection). */
const POLL_MS = 1_000;
const MAX_RECONNECT_DELAY_MS = 10_000;
/**
 * At most one NOTIFY to the other instances per this many ms: commits within it share one. Every
 * NOTIFY wakes the listening backends of the database whatever their channel (each instance's bus
 * and graphile-worker), so their number is kept to 40 a second per instance under load.
 */
const NOTIFY_INTERVAL_MS = 25;
/** At most one wake-up of the local streams (one read of the feed) per this many ms. */
const WAKE_INTERVAL_MS = 50;

/**
 * Wakes this instance's subscription streams when booking events may have been committed, on any
 * instance: a dedicated connection LISTENs on the events channel (the committing instance NOTIFYs
 * right after its commit, see announce), and a poll each second catches what a notification cannot announce (an event that becomes readable
 * when an older transaction ends, notifications lost while the connection was down). The connection
 * is re-opened with backoff when it drops; streams read the feed from their own cursor, so nothing
 * is missed across a reconnection. Each wake-up and each poll is one query per instance, whatever
 * the number of subscribers (the shared window); a stream then reads the database only to check the
 * visibility of events that pass its filter.
 */
export class BookingEventBus {
  private readonly emitter = new EventEmitter();
  private client: Client | undefined;
  private stopped = false;
  private reconnectDelay = 500;
  private poller: NodeJS.Timeout | undefined;
  /** The recent log, read once per wake-up for all streams (domain/events/booking-event-window.ts). */
  readonly window: BookingEventWindow;

  constructor(
    private readonly url: string,
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
  ) {
    this.emitter.setMaxListeners(0);
    this.window = new BookingEventWindow(dataSource);
  }

  /** Starts listening (retrying until the database answers) and polling. */
  start(): void {
    onBookingEventsCommitted(this.dataSource, () => this.announce());
    void this.connect();
    this.poller = setInterval(() => void this.poll(), POLL_MS);
    this.poller.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    onBookingEventsCommitted(this.dataSource, undefined);
    this.notifier.cancel();
    this.waker.cancel();
    if (this.poller) clearInterval(this.poller);
    await this.client?.end().catch(() => undefined);
    this.emitter.removeAllListeners();
  }

  /** Calls `listener` on every wake-up until the returned function is called. */
  subscribe(listener: () => void): () => void {
    this.emitter.on("wake", listener);
    return () => this.emitter.off("wake", listener);
  }

  get subscribers(): number {
    return this.emitter.listenerCount("wake");
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  private readonly notifier = new Throttle(NOTIFY_INTERVAL_MS, () => {
    this.client?.query(`NOTIFY ${BOOKING_EVENTS_CHANNEL}`).catch(() => undefined);
  });
  private readonly waker = new Throttle(WAKE_INTERVAL_MS, () => void this.refreshThenWake(true));

  /**
   * After a commit of this instance that wrote events: wakes the local streams, and tells the other
   * instances with a NOTIFY on the listening connection (at most one per NOTIFY_INTERVAL_MS; the
   * commits in between share the next). Without the connection the others find the events by their poll.
   */
  announce(): void {
    this.wake();
    this.notifier.call();
  }

  /** Wakes the streams, at most once per WAKE_INTERVAL_MS (a burst of commits is one read per stream). */
  private wake(): void {
    this.waker.call();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({
      connectionString: this.url,
      application_name: "calcom-graphql-gateway-events",
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    });
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.logger.warn("booking event listener lost; reconnecting", { error: err?.message, retryInMs: this.reconnectDelay });
      setTimeout(() => void this.connect(), this.reconnectDelay).unref();
      this.reconnectDelay = Math.min(this.reconnectDelay * 2, MAX_RECONNECT_DELAY_MS);
    };
    client.on("error", lost);
    client.on("end", () => lost());
    client.on("notification", () => this.wake());
    try {
      await client.connect();
      await client.query(`LISTEN ${BOOKING_EVENTS_CHANNEL}`);
      if (this.stopped) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.reconnectDelay = 500;
      // Whatever was committed while not listening is read now.
      this.wake();
    } catch (err) {
      this.client = client;
      lost(err as Error);
    }
  }

  /** The poll: wakes the streams when the log has new readable events. */
  private async poll(): Promise<void> {
    if (this.stopped || !this.dataSource.isInitialized) return;
    if (this.subscribers === 0) {
      this.window.reset(); // nobody to read for: start again at the horizon when someone subscribes
      return;
    }
    await this.refreshThenWake(false);
  }

  /**
   * Refreshes the window (one query for all streams), then wakes the streams: always after a
   * notification (`force`), after a poll only when events arrived. While the database is away the
   * window is dropped and the streams are woken to read (and retry) on their own.
   */
  private async refreshThenWake(force: boolean): Promise<void> {
    if (this.subscribers === 0) return;
    let arrived: boolean;
    try {
      arrived = this.dataSource.isInitialized ? await this.window.refresh() : false;
    } catch {
      this.window.reset();
      arrived = true;
    }
    if ((arrived || force) && !this.stopped) this.emitter.emit("wake");
  }
}
