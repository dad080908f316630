import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import {
  Attendee, BookingReference, BookingSeat, DestinationCalendar, EventType, InstantMeetingToken, Payment, User,
  WebhookScheduledTrigger, WorkflowReminder,
} from "../entities";
import { loadAcceptedMemberIds, loadByIds, loadManyBy, loadOneBy } from "./batch";

/**
 * Per-request DataLoader registry: every relation field of the API is resolved through one of these,
 * so a page of N bookings costs one query per relation, not per row. Keys are plain ids; the
 * viewer never enters a key (visibility is decided before a parent is returned).
 */
export function createLoaders(dataSource: DataSource) {
  return {
    userById: new DataLoader<number, User | null>((ids) => loadByIds(dataSource, User, ids)),
    eventTypeById: new DataLoader<number, EventType | null>((ids) => loadByIds(dataSource, EventType, ids)),
    destinationCalendarById: new DataLoader<number, DestinationCalendar | null>((ids) =>
      loadByIds(dataSource, DestinationCalendar, ids),
    ),
    attendeesByBookingId: new DataLoader<number, Attendee[]>((ids) =>
      loadManyBy(dataSource, Attendee, "bookingId", ids),
    ),
    paymentsByBookingId: new DataLoader<number, Payment[]>((ids) => loadManyBy(dataSource, Payment, "bookingId", ids)),
    referencesByBookingId: new DataLoader<number, BookingReference[]>((ids) =>
      loadManyBy(dataSource, BookingReference, "bookingId", ids),
    ),
    seatsByBookingId: new DataLoader<number, BookingSeat[]>((ids) =>
      loadManyBy(dataSource, BookingSeat, "bookingId", ids),
    ),
    scheduledTriggersByBookingId: new DataLoader<number, WebhookScheduledTrigger[]>((ids) =>
      loadManyBy(dataSource, WebhookScheduledTrigger, "bookingId", ids),
    ),
    workflowRemindersByBookingUid: new DataLoader<string, WorkflowReminder[]>((uids) =>
      loadManyBy(dataSource, WorkflowReminder, "bookingUid", uids),
    ),
    acceptedMemberIdsByOrganizationId: new DataLoader<number, number[]>((ids) =>
      loadAcceptedMemberIds(dataSource, ids),
    ),
    instantMeetingTokenByBookingId: new DataLoader<number, InstantMeetingToken | null>((ids) =>
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
