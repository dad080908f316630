import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import {
  Attendee, BookingReference, BookingSeat, DestinationCalendar, EventType, InstantMeetingToken, Payment, User,
  WebhookScheduledTrigger, WorkflowReminder,
} from "../entities";
import { loadAcceptedMemberIds, loadByIds, loadManyBy, loadOneBy } from "./batch";

/**
 * A DataLoader that keeps primed values at hand: `get` returns a primed value as is (GraphQL then
 * completes the field synchronously, with no promise per row) and loads anything else. Plain primed
 * values live only here (a list page primes hundreds; DataLoader would wrap each in a promise), and
 * `load` answers from them too. As with DataLoader, priming a key already primed changes nothing.
 */
export class Loader<K, V> extends DataLoader<K, V> {
  private readonly primed = new Map<K, V>();

  override prime(key: K, value: V | PromiseLike<V> | Error): this {
    if (value instanceof Error || isPromiseLike(value)) return super.prime(key, value);
    if (!this.primed.has(key)) this.primed.set(key, value);
    return this;
  }

  override load(key: K): Promise<V> {
    return this.primed.has(key) ? Promise.resolve(this.primed.get(key) as V) : super.load(key);
  }

  override clear(key: K): this {
    this.primed.delete(key);
    return super.clear(key);
  }

  override clearAll(): this {
    this.primed.clear();
    return super.clearAll();
  }

  get(key: K): V | Promise<V> {
    return this.primed.has(key) ? (this.primed.get(key) as V) : super.load(key);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

/**
 * Per-request DataLoader registry: every relation field of the API is resolved through one of these,
 * so a page of N bookings costs one query per relation, not per row. Keys are plain ids; the
 * viewer never enters a key (visibility is decided before a parent is returned).
 */
export function createLoaders(dataSource: DataSource) {
  return {
    userById: new Loader<number, User | null>((ids) => loadByIds(dataSource, User, ids)),
    eventTypeById: new Loader<number, EventType | null>((ids) => loadByIds(dataSource, EventType, ids)),
    destinationCalendarById: new Loader<number, DestinationCalendar | null>((ids) =>
      loadByIds(dataSource, DestinationCalendar, ids),
    ),
    attendeesByBookingId: new Loader<number, Attendee[]>((ids) =>
      loadManyBy(dataSource, Attendee, "bookingId", ids),
    ),
    paymentsByBookingId: new Loader<number, Payment[]>((ids) => loadManyBy(dataSource, Payment, "bookingId", ids)),
    referencesByBookingId: new Loader<number, BookingReference[]>((ids) =>
      loadManyBy(dataSource, BookingReference, "bookingId", ids),
    ),
    seatsByBookingId: new Loader<number, BookingSeat[]>((ids) =>
      loadManyBy(dataSource, BookingSeat, "bookingId", ids),
    ),
    scheduledTriggersByBookingId: new Loader<number, WebhookScheduledTrigger[]>((ids) =>
      loadManyBy(dataSource, WebhookScheduledTrigger, "bookingId", ids),
    ),
    workflowRemindersByBookingUid: new Loader<string, WorkflowReminder[]>((uids) =>
      loadManyBy(dataSource, WorkflowReminder, "bookingUid", uids),
    ),
    acceptedMemberIdsByOrganizationId: new Loader<number, number[]>((ids) =>
      loadAcceptedMemberIds(dataSource, ids),
    ),
    instantMeetingTokenByBookingId: new Loader<number, InstantMeetingToken | null>((ids) =>
      loadOneBy(dataSource, InstantMeetingToken, "bookingId", ids),
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/**
 * Drops cached relation rows of bookings a mutation changed, so the response shows the new state
 * even when an earlier field of the same operation loaded them.
 */
export function forgetBookings(loaders: Loaders, bookings: Array<{ id: number; uid: string }>): void {
  for (const { id, uid } of bookings) {
    loaders.attendeesByBookingId.clear(id);
    loaders.paymentsByBookingId.clear(id);
    loaders.referencesByBookingId.clear(id);
    loaders.seatsByBookingId.clear(id);
    loaders.scheduledTriggersByBookingId.clear(id);
    loaders.instantMeetingTokenByBookingId.clear(id);
    loaders.workflowRemindersByBookingUid.clear(uid);
  }
}
