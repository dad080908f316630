import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import { cached } from "../cached";
import type { RequestStore } from "../db/sql-counter";
import {
  Attendee,
  Booking,
  BookingReference,
  BookingSeat,
  DestinationCalendar,
  EventType,
  Host,
  InstantMeetingToken,
  Payment,
  Team,
  User,
  WebhookScheduledTrigger,
  WorkflowReminder,
} from "../entities";
import type { Viewer } from "../auth/viewer";
import type { BookingView } from "../domain/booking/booking.policy";
import { inSpan, TRACING } from "../tracing";
import { loadAcceptedMemberIds, loadBookingViews, loadByIds, loadManyBy, loadOneBy } from "./batch";

/**
 * A DataLoader that keeps primed values at hand: `get` returns a primed value as is (GraphQL then
 * completes the field synchronously, with no promise per row) and loads anything else. Plain primed
 * values live only here (a list page primes hundreds; DataLoader would wrap each in a promise), and
 * `load` answers from them too. As with DataLoader, priming a key already primed changes nothing.
 */
export class Loader<K, V> extends DataLoader<K, V> {
  private readonly primed = new Map<K, V>();

  /** `name` labels its batches: with tracing on, each batch is a span `dataloader.batch <name>`. */
  constructor(name: string, batch: DataLoader.BatchLoadFn<K, V>) {
    super(
      TRACING
        ? (keys) => inSpan(`dataloader.batch ${name}`, { "dataloader.keys": keys.length }, () => Promise.resolve(batch(keys)))
        : batch,
    );
  }

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

type Factory<T> = (dataSource: DataSource, store: RequestStore | undefined, viewer: Viewer | undefined) => T;

const userById: Factory<Loader<number, User | null>> = (ds, st) => new Loader("userById", (ids) => loadByIds(ds, User, ids, st));
const eventTypeById: Factory<Loader<number, EventType | null>> = (ds, st) =>
  new Loader("eventTypeById", (ids) => loadByIds(ds, EventType, ids, st));
const bookingById: Factory<Loader<number, Booking | null>> = (ds, st) =>
  new Loader("bookingById", (ids) => loadByIds(ds, Booking, ids, st));
const teamById: Factory<Loader<number, Team | null>> = (ds, st) => new Loader("teamById", (ids) => loadByIds(ds, Team, ids, st));
const hostsByEventTypeId: Factory<Loader<number, Host[]>> = (ds, st) =>
  new Loader("hostsByEventTypeId", (ids) => loadManyBy(ds, Host, "eventTypeId", ids, st));
const destinationCalendarById: Factory<Loader<number, DestinationCalendar | null>> = (ds, st) =>
  new Loader("destinationCalendarById", (ids) => loadByIds(ds, DestinationCalendar, ids, st));
const attendeesByBookingId: Factory<Loader<number, Attendee[]>> = (ds, st) =>
  new Loader("attendeesByBookingId", (ids) => loadManyBy(ds, Attendee, "bookingId", ids, st));
const paymentsByBookingId: Factory<Loader<number, Payment[]>> = (ds, st) =>
  new Loader("paymentsByBookingId", (ids) => loadManyBy(ds, Payment, "bookingId", ids, st));
const referencesByBookingId: Factory<Loader<number, BookingReference[]>> = (ds, st) =>
  new Loader("referencesByBookingId", (ids) => loadManyBy(ds, BookingReference, "bookingId", ids, st));
const seatsByBookingId: Factory<Loader<number, BookingSeat[]>> = (ds, st) =>
  new Loader("seatsByBookingId", (ids) => loadManyBy(ds, BookingSeat, "bookingId", ids, st));
const scheduledTriggersByBookingId: Factory<Loader<number, WebhookScheduledTrigger[]>> = (ds, st) =>
  new Loader("scheduledTriggersByBookingId", (ids) => loadManyBy(ds, WebhookScheduledTrigger, "bookingId", ids, st));
const workflowRemindersByBookingUid: Factory<Loader<string, WorkflowReminder[]>> = (ds, st) =>
  new Loader("workflowRemindersByBookingUid", (uids) => loadManyBy(ds, WorkflowReminder, "bookingUid", uids, st));
const acceptedMemberIdsByOrganizationId: Factory<Loader<number, number[]>> = (ds, st) =>
  new Loader("acceptedMemberIdsByOrganizationId", (ids) => loadAcceptedMemberIds(ds, ids, st));
const bookingViewById: Factory<Loader<number, BookingView>> = (ds, st, viewer) =>
  new Loader("bookingViewById", (ids) =>
    viewer ? loadBookingViews(ds, viewer, ids, st) : Promise.resolve(ids.map((): BookingView => "attendee")),
  );
const instantMeetingTokenByBookingId: Factory<Loader<number, InstantMeetingToken | null>> = (ds, st) =>
  new Loader("instantMeetingTokenByBookingId", (ids) => loadOneBy(ds, InstantMeetingToken, "bookingId", ids, st));

/**
 * Per-request DataLoader registry: every relation field of the API is resolved through one of these,
 * so a page of N bookings costs one query per relation, not per row. Keys are plain ids; the
 * viewer never enters a key (visibility is decided before a parent is returned).
 * Each loader is created the first time a request uses it (a list page uses a few of eleven).
 * Their statements count against the request's `store`.
 */
export class Loaders {
  private readonly made = new Map<Factory<unknown>, unknown>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly store?: RequestStore,
    private readonly viewer?: Viewer,
  ) {}

  private lazy<T>(factory: Factory<T>): T {
    return cached(this.made, factory, () => factory(this.dataSource, this.store, this.viewer)) as T;
  }

  get userById() {
    return this.lazy(userById);
  }
  get eventTypeById() {
    return this.lazy(eventTypeById);
  }
  get teamById() {
    return this.lazy(teamById);
  }
  /** Bookings by id, unchecked: callers decided visibility already (the change feed's SQL). */
  get bookingById() {
    return this.lazy(bookingById);
  }
  /** Hosts of each event type, in the order of the rows (the resolver sorts them into host order). */
  get hostsByEventTypeId() {
    return this.lazy(hostsByEventTypeId);
  }
  get destinationCalendarById() {
    return this.lazy(destinationCalendarById);
  }
  get attendeesByBookingId() {
    return this.lazy(attendeesByBookingId);
  }
  get paymentsByBookingId() {
    return this.lazy(paymentsByBookingId);
  }
  get referencesByBookingId() {
    return this.lazy(referencesByBookingId);
  }
  get seatsByBookingId() {
    return this.lazy(seatsByBookingId);
  }
  get scheduledTriggersByBookingId() {
    return this.lazy(scheduledTriggersByBookingId);
  }
  get workflowRemindersByBookingUid() {
    return this.lazy(workflowRemindersByBookingUid);
  }
  get acceptedMemberIdsByOrganizationId() {
    return this.lazy(acceptedMemberIdsByOrganizationId);
  }
  get instantMeetingTokenByBookingId() {
    return this.lazy(instantMeetingTokenByBookingId);
  }
  /** The viewer's view of each booking (booking.policy.ts BookingView). */
  get bookingViewById() {
    return this.lazy(bookingViewById);
  }
}

/** A fresh registry for one request (one operation), counting its statements against `store`. */
export function createLoaders(dataSource: DataSource, store?: RequestStore, viewer?: Viewer): Loaders {
  return new Loaders(dataSource, store, viewer);
}

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
    loaders.bookingViewById.clear(id);
  }
}
