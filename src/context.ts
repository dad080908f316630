import type { BookingTokens } from "./auth/booking-token";
import type { Wakeups } from "./domain/events/booking-event-stream";
import type { DataSource } from "typeorm";
import type { Viewer } from "./auth/viewer";
import type { RequestStore } from "./db/sql-counter";
import type { Loaders } from "./loaders";
import type { Logger } from "./logger";

/**
 * Everything one request carries, passed first to every service method. Built fresh per request
 * (loaders included) and never stored on a singleton.
 */
export interface RequestContext {
  requestId: string;
  /** Set once authentication succeeded (before any resolver runs for non-introspection operations). */
  viewer?: Viewer;
  dataSource: DataSource;
  loaders: Loaders;
  logger: Logger;
  /** The request's SQL statement count and read routing; every statement it runs is counted here. */
  store: RequestStore;
  /** Most bookings an unpaged list returns (MAX_UNPAGED_BOOKINGS). */
  maxUnpagedBookings: number;
  /** Booking events are recorded and served (BOOKING_EVENTS=on). */
  bookingEvents: boolean;
  /** Days booking events are kept (BOOKING_EVENTS_RETENTION_DAYS): older cursors are refused. */
  bookingEventsRetentionDays: number;
  /** Wakes subscription streams (WebSocket operations only). */
  bookingEventBus?: Wakeups;
  /** Issues booking tokens (manageToken) for the bookings a createBooking / rescheduleBooking makes. */
  bookingTokens?: BookingTokens;
  /**
   * Conditions a transport adds to the booking lists it runs, beyond those GraphQL names (REST v1's
   * repeated attendeeEmail). Set by rest/v1 only.
   */
  extraBookingFilter?: { attendeeEmails?: string[] };
  /** Authenticates the connection's key again (WebSocket operations: a long-lived stream re-checks it). */
  reauthenticate?: () => Promise<Viewer>;
}
