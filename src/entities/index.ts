import { ApiKey } from "./api-key.entity";
import { Attendee } from "./attendee.entity";
import { Availability } from "./availability.entity";
import { Booking } from "./booking.entity";
import { BookingReference } from "./booking-reference.entity";
import { BookingSeat } from "./booking-seat.entity";
import { DestinationCalendar } from "./destination-calendar.entity";
import { EventType } from "./event-type.entity";
import { Host } from "./host.entity";
import { InstantMeetingToken } from "./instant-meeting-token.entity";
import { Membership } from "./membership.entity";
import { OrganizationSettings } from "./organization-settings.entity";
import { OutOfOfficeEntry } from "./out-of-office-entry.entity";
import { Payment } from "./payment.entity";
import { Schedule } from "./schedule.entity";
import { Team } from "./team.entity";
import { User } from "./user.entity";
import { WebhookScheduledTrigger } from "./webhook-scheduled-trigger.entity";
import { WorkflowReminder } from "./workflow-reminder.entity";

export {
  ApiKey,
  Attendee,
  Availability,
  Booking,
  BookingReference,
  BookingSeat,
  DestinationCalendar,
  EventType,
  Host,
  InstantMeetingToken,
  Membership,
  OrganizationSettings,
  OutOfOfficeEntry,
  Payment,
  Schedule,
  Team,
  User,
  WebhookScheduledTrigger,
  WorkflowReminder,
};
export * from "./enums";

/** Every mapped Cal.com table, for the DataSource. */
export const ENTITIES = [
  ApiKey,
  Attendee,
  Availability,
  Booking,
  BookingReference,
  BookingSeat,
  DestinationCalendar,
  EventType,
  Host,
  InstantMeetingToken,
  Membership,
  OrganizationSettings,
  OutOfOfficeEntry,
  Payment,
  Schedule,
  Team,
  User,
  WebhookScheduledTrigger,
  WorkflowReminder,
];
