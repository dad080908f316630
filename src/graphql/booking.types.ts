import { Field, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { Booking, BookingStatus } from "../entities";
import { BookingOrderField, OrderDirection } from "../domain/booking/booking-order";

registerEnumType(BookingOrderField, {
  name: "BookingOrderField",
  description: "Column to sort bookings by; ties are broken by id in the same direction.",
  valuesConfig: {
    START_TIME: { description: "Start time." },
    END_TIME: { description: "End time." },
    CREATED_AT: { description: "Creation time." },
    UPDATED_AT: { description: "Last update time; never-updated bookings sort last." },
    ID: { description: "Numeric id." },
  },
});
registerEnumType(OrderDirection, {
  name: "OrderDirection",
  description: "Sort direction.",
  valuesConfig: { ASC: { description: "Ascending." }, DESC: { description: "Descending." } },
});

@InputType({ description: "Narrows the viewer's bookings. All given conditions must hold." })
export class BookingFilter {
  @Field(() => [Int], { nullable: true, description: "Organizer user ids. Administrators only (FORBIDDEN otherwise)." })
  userIds?: number[] | null;

  @Field(() => String, { nullable: true, description: "Bookings with an attendee of this e-mail (case-insensitive)." })
  attendeeEmail?: string | null;

  @Field(() => [BookingStatus], { nullable: true, description: "Bookings in any of these states." })
  status?: BookingStatus[] | null;

  @Field(() => [Int], { nullable: true, description: "Bookings of any of these event types." })
  eventTypeIds?: number[] | null;

  @Field(() => Date, { nullable: true, description: "Bookings starting at or after this instant (startTime >= dateFrom)." })
  dateFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: "Bookings ending at or before this instant (endTime <= dateTo)." })
  dateTo?: Date | null;
}

@InputType({ description: "Sort order of a booking list." })
export class BookingOrder {
  @Field(() => BookingOrderField, { defaultValue: BookingOrderField.START_TIME, description: "Column to sort by." })
  field!: BookingOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.ASC, description: "Direction." })
  direction!: OrderDirection;
}

@ObjectType({ simpleResolvers: true, description: "One page of bookings with paging information." })
export class BookingPage {
  @Field(() => [Booking], { description: "The bookings on this page, in the requested order." })
  nodes!: Booking[];

  @Field(() => Int, { nullable: true, description: "Effective page number (1-based); null when the list is unpaged." })
  page!: number | null;

  @Field(() => Int, { nullable: true, description: "Effective page size; null when the list is unpaged." })
  take!: number | null;

  @Field(() => Boolean, { description: "True when more bookings follow this page." })
  hasNextPage!: boolean;

  /** Runs the count query; exposed as `totalCount` by a field resolver so it runs only when selected. */
  count!: () => Promise<number>;
}

@ObjectType({ simpleResolvers: true, description: "A booking in a connection, with the cursor that points at it." })
export class BookingEdge {
  @Field(() => String, { description: "Opaque position of this booking in the requested order; pass it as `after` to continue after it." })
  cursor!: string;

  @Field(() => Booking, { description: "The booking." })
  node!: Booking;
}

@ObjectType({ simpleResolvers: true, description: "Where a connection page sits in the whole list (Relay PageInfo)." })
export class PageInfo {
  @Field(() => Boolean, { description: "True when more bookings follow this page (fetch them with after: endCursor)." })
  hasNextPage!: boolean;

  @Field(() => Boolean, {
    description:
      "True when `after` was given, i.e. this is not the first page. Paging is forward-only, so this does not check that rows precede the cursor.",
  })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: "Cursor of the first edge; null when the page is empty." })
  startCursor!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Cursor of the last edge; null when the page is empty. Pass it as `after` for the next page.",
  })
  endCursor!: string | null;
}

@ObjectType({ simpleResolvers: true, description: "A keyset-paged page of bookings (Relay connection)." })
export class BookingConnection {
  @Field(() => [BookingEdge], { description: "The bookings on this page, in the requested order, each with its cursor." })
  edges!: BookingEdge[];

  @Field(() => PageInfo, { description: "Paging information for this page." })
  pageInfo!: PageInfo;

  /** Runs the count query; exposed as `totalCount` by a field resolver so it runs only when selected. */
  count!: () => Promise<number>;
}
