import { ArgsType, Field, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { BookingEventType } from "../domain/events/booking-events";

registerEnumType(BookingEventType, {
  name: "BookingEventType",
  description: "What happened to a booking.",
  valuesConfig: {
    CREATED: { description: "Booked (ACCEPTED)." },
    REQUESTED: { description: "Booked, waiting for confirmation (PENDING)." },
    UPDATED: { description: "Changed: title, description or times moved, or a seat joined or left." },
    CONFIRMED: { description: "PENDING or AWAITING_HOST became ACCEPTED." },
    REJECTED: { description: "Rejected by the organizer." },
    CANCELLED: { description: "Cancelled (also each booking of a cancelled series)." },
    RESCHEDULED: { description: "A new booking replacing `previousBookingId` (rescheduleBooking)." },
  },
});

@ObjectType({ simpleResolvers: true, description: "A change the gateway made to a booking, recorded in the same transaction." })
export class BookingEvent {
  @Field(() => String, { description: "Opaque id; increases in commit order; usable as a cursor (`after`)." })
  id!: string;

  @Field(() => BookingEventType, { description: "What happened." })
  type!: BookingEventType;

  @Field(() => Date, { description: "When the change was made (UTC)." })
  occurredAt!: Date;

  @Field(() => Int, { description: "The booking changed (for RESCHEDULED: the new booking)." })
  bookingId!: number;

  @Field(() => Int, { nullable: true, description: "RESCHEDULED only: the booking it replaces." })
  previousBookingId!: number | null;
}

@InputType({ description: "Which events to list." })
export class BookingEventFilter {
  @Field(() => [BookingEventType], { nullable: true, description: "Only these types." })
  types?: BookingEventType[] | null;

  @Field(() => [Int], { nullable: true, description: "Only events of these bookings." })
  bookingIds?: number[] | null;
}

@ObjectType({ simpleResolvers: true, description: "One page of the change feed." })
export class BookingEventPage {
  @Field(() => [BookingEvent], { description: "Events in commit order." })
  nodes!: BookingEvent[];

  @Field(() => String, { nullable: true, description: "Pass as `after` for the next page (the given `after` when the page is empty)." })
  endCursor!: string | null;

  @Field(() => Boolean, { description: "True when more events follow right now." })
  hasNextPage!: boolean;
}

@ArgsType()
export class BookingEventsArgs {
  @Field(() => String, { nullable: true, description: "A cursor (`endCursor` or an event id): events after it." })
  after?: string | null;

  @Field(() => Int, { defaultValue: 50, description: "Page size, 1 to 250." })
  first!: number;

  @Field(() => BookingEventFilter, { nullable: true, description: "Which events." })
  filter?: BookingEventFilter | null;
}

@ArgsType()
export class BookingEventSubscriptionArgs {
  @Field(() => String, { nullable: true, description: "Replay from this cursor first, then continue live (no gap, no duplicate)." })
  after?: string | null;

  @Field(() => BookingEventFilter, { nullable: true, description: "Which events." })
  filter?: BookingEventFilter | null;
}
