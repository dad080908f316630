import { registerEnumType } from "type-graphql";

/**
 * Cal.com's Postgres enum types. Keys are the GraphQL names (upper case); values are the labels
 * stored in Postgres, which for some types are lower case.
 */

/** `"BookingStatus"`: labels are lower case in Postgres, upper case in the API. */
export enum BookingStatus {
  CANCELLED = "cancelled",
  ACCEPTED = "accepted",
  REJECTED = "rejected",
  PENDING = "pending",
  AWAITING_HOST = "awaiting_host",
}

/** `"MembershipRole"`. */
export enum MembershipRole {
  MEMBER = "MEMBER",
  ADMIN = "ADMIN",
  OWNER = "OWNER",
}

/** `"UserPermissionRole"`: ADMIN is a system administrator. */
export enum UserPermissionRole {
  USER = "USER",
  ADMIN = "ADMIN",
}

/** `"SchedulingType"` of team event types. */
export enum SchedulingType {
  ROUND_ROBIN = "roundRobin",
  COLLECTIVE = "collective",
  MANAGED = "managed",
}

/** `"PeriodType"`: how far ahead an event type may be booked. */
export enum PeriodType {
  UNLIMITED = "unlimited",
  ROLLING = "rolling",
  ROLLING_WINDOW = "rolling_window",
  RANGE = "range",
}

/** `"PaymentOption"`. */
export enum PaymentOption {
  ON_BOOKING = "ON_BOOKING",
  HOLD = "HOLD",
}

/** `"WorkflowMethods"`. */
export enum WorkflowMethods {
  EMAIL = "EMAIL",
  SMS = "SMS",
  WHATSAPP = "WHATSAPP",
}

/** `"CreationSource"`: which client created a row. */
export enum CreationSource {
  API_V1 = "api_v1",
  API_V2 = "api_v2",
  WEBAPP = "webapp",
}

registerEnumType(BookingStatus, {
  name: "BookingStatus",
  description: "Lifecycle state of a booking.",
  valuesConfig: {
    CANCELLED: { description: "Cancelled by the organizer, an attendee or an admin (final)." },
    ACCEPTED: { description: "Confirmed; the slot is taken." },
    REJECTED: { description: "Declined by the organizer (final)." },
    PENDING: { description: "Waiting for the organizer's confirmation (or payment); the slot is held." },
    AWAITING_HOST: { description: "Waiting for a host to pick up an instant meeting." },
  },
});
registerEnumType(UserPermissionRole, {
  name: "UserPermissionRole",
  description: "System-wide role of a user.",
  valuesConfig: {
    USER: { description: "A regular user." },
    ADMIN: { description: "A system administrator: may read and act on every booking." },
  },
});
registerEnumType(SchedulingType, {
  name: "SchedulingType",
  description: "How a team event type assigns its hosts.",
  valuesConfig: {
    ROUND_ROBIN: { description: "One available host is picked per booking." },
    COLLECTIVE: { description: "All hosts attend every booking." },
    MANAGED: { description: "A parent template copied to each member." },
  },
});
registerEnumType(PeriodType, {
  name: "PeriodType",
  description: "How far ahead an event type may be booked (its booking period).",
  valuesConfig: {
    UNLIMITED: { description: "Any time in the future." },
    ROLLING: { description: "Up to the end of the day `periodDays` days from today (calendar or business days)." },
    ROLLING_WINDOW: { description: "As ROLLING here (Cal.com counts days with free slots instead)." },
    RANGE: { description: "From the day of `periodStartDate` to the end of the day of `periodEndDate`." },
  },
});
registerEnumType(PaymentOption, {
  name: "PaymentOption",
  description: "When a payment is charged.",
  valuesConfig: {
    ON_BOOKING: { description: "Charged when the booking is made." },
    HOLD: { description: "Card held; charged later (e.g. for no-shows)." },
  },
});
registerEnumType(WorkflowMethods, {
  name: "WorkflowMethods",
  description: "Channel of a workflow reminder.",
  valuesConfig: {
    EMAIL: { description: "E-mail." },
    SMS: { description: "Text message." },
    WHATSAPP: { description: "WhatsApp message." },
  },
});
