import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from "type-graphql";
import type { RequestContext } from "../context";
import { bookingViews, maySeeBookingSecrets, type BookingView } from "../domain/booking/booking.policy";
import { GraphQLJSON } from "graphql-scalars";
import { requireViewer } from "../domain/booking/booking-read.service";
import { bookingsConnection, getBooking, listBookings } from "../read-path/booking-rows";
import {
  Attendee,
  Booking,
  BookingReference,
  BookingSeat,
  DestinationCalendar,
  EventType,
  InstantMeetingToken,
  Payment,
  User,
  WebhookScheduledTrigger,
  WorkflowReminder,
} from "../entities";
import { BookingConnection, BookingFilter, BookingOrder, BookingPage } from "./booking.types";

/** `f(value)`, without a promise when `value` is not one (primed relations stay synchronous). */
function then<T, R>(value: T | Promise<T>, f: (value: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/** The viewer's view of `booking` (booking.policy.ts): `full` at once for system admins. */
function viewOf(ctx: RequestContext, booking: Booking): BookingView | Promise<BookingView> {
  return requireViewer(ctx).isSystemAdmin ? "full" : ctx.loaders.bookingViewById.get(booking.id);
}

/** `rows` as the viewer's view of `booking` shows them. */
function viewed<T, R>(
  ctx: RequestContext,
  booking: Booking,
  rows: T | Promise<T>,
  redact: (view: BookingView, rows: T) => R,
): R | Promise<R> {
  return then(viewOf(ctx, booking), (view) => then(rows, (loaded) => redact(view, loaded))) as R | Promise<R>;
}

/**
 * Booking queries and the Booking type's relation fields, all through the request's loaders: how the
 * executor answers what the read path (src/read-path) leaves to it, and mutation answers.
 */
@Resolver(() => Booking)
export class BookingResolver {
  @Query(() => BookingPage, {
    description:
      "The viewer's bookings. Without take and page: every match. page alone: take 10; take alone: page 1; take ≤ 250. Default order START_TIME ASC, ties by id.",
  })
  bookings(
    @Ctx() ctx: RequestContext,
    @Arg("take", () => Int, { nullable: true, description: "Page size, 1 to 250." }) take?: number | null,
    @Arg("page", () => Int, { nullable: true, description: "1-based page number." }) page?: number | null,
    @Arg("filter", () => BookingFilter, { nullable: true, description: "Conditions that narrow the list." })
    filter?: BookingFilter | null,
    @Arg("orderBy", () => BookingOrder, { nullable: true, description: "Sort order (default START_TIME ASC)." })
    orderBy?: BookingOrder | null,
  ): Promise<BookingPage> {
    return listBookings(ctx, { take, page, filter, orderBy });
  }

  @Query(() => BookingConnection, {
    description:
      "The viewer's bookings as a Relay connection, paged by cursor (keyset): the same bookings, filters and order as `bookings`. Pass a page's pageInfo.endCursor as `after` for the next page; a cursor only works with the orderBy it was made for.",
  })
  bookingsConnection(
    @Ctx() ctx: RequestContext,
    @Arg("first", () => Int, { nullable: true, defaultValue: 10, description: "Page size, 1 to 250 (null: 10)." })
    first?: number | null,
    @Arg("after", () => String, {
      nullable: true,
      description: "Cursor (an edge's cursor or pageInfo.endCursor) to continue after; absent for the first page.",
    })
    after?: string | null,
    @Arg("filter", () => BookingFilter, { nullable: true, description: "Conditions that narrow the list." })
    filter?: BookingFilter | null,
    @Arg("orderBy", () => BookingOrder, { nullable: true, description: "Sort order (default START_TIME ASC); must match the cursor's." })
    orderBy?: BookingOrder | null,
  ): Promise<BookingConnection> {
    return bookingsConnection(ctx, { first, after, filter, orderBy });
  }

  @Query(() => Booking, {
    description: "One booking by id or uid (exactly one). NOT_FOUND when it does not exist or the viewer may not see it.",
  })
  booking(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => Int, { nullable: true, description: "Numeric id." }) id?: number | null,
    @Arg("uid", () => String, { nullable: true, description: "Public uid." }) uid?: string | null,
  ): Promise<Booking> {
    return getBooking(ctx, { id, uid });
  }

  @FieldResolver(() => User, { nullable: true, description: "The organizer." })
  user(@Root() booking: Booking, @Ctx() ctx: RequestContext): User | null | Promise<User | null> {
    return booking.userId == null ? null : ctx.loaders.userById.get(booking.userId);
  }

  @FieldResolver(() => EventType, { nullable: true, description: "The event type booked." })
  eventType(@Root() booking: Booking, @Ctx() ctx: RequestContext): EventType | null | Promise<EventType | null> {
    return booking.eventTypeId == null ? null : ctx.loaders.eventTypeById.get(booking.eventTypeId);
  }

  @FieldResolver(() => [Attendee], { description: "The booker and the guests." })
  attendees(@Root() booking: Booking, @Ctx() ctx: RequestContext): Attendee[] | Promise<Attendee[]> {
    return viewed(ctx, booking, ctx.loaders.attendeesByBookingId.get(booking.id), (view, rows) =>
      bookingViews.attendees(view, requireViewer(ctx), rows),
    );
  }

  @FieldResolver(() => GraphQLJSON, {
    nullable: true,
    description: "The booking form's answers (null for another seat holder of a seated booking).",
  })
  responses(@Root() booking: Booking, @Ctx() ctx: RequestContext): unknown {
    return viewed(ctx, booking, booking.responses, bookingViews.responses);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: "SMS reminder number from the booking form (null for another seat holder of a seated booking).",
  })
  smsReminderNumber(@Root() booking: Booking, @Ctx() ctx: RequestContext): string | null | Promise<string | null> {
    return viewed(ctx, booking, booking.smsReminderNumber, bookingViews.responses);
  }

  @FieldResolver(() => [Payment], { description: "Payments made for the booking." })
  payment(@Root() booking: Booking, @Ctx() ctx: RequestContext): Payment[] | Promise<Payment[]> {
    return viewed(ctx, booking, ctx.loaders.paymentsByBookingId.get(booking.id), bookingViews.payments);
  }

  @FieldResolver(() => [BookingReference], { description: "Counterparts in calendar and video apps." })
  references(@Root() booking: Booking, @Ctx() ctx: RequestContext): BookingReference[] | Promise<BookingReference[]> {
    return viewed(ctx, booking, ctx.loaders.referencesByBookingId.get(booking.id), bookingViews.references);
  }

  @FieldResolver(() => DestinationCalendar, { nullable: true, description: "Calendar the event is written to." })
  destinationCalendar(
    @Root() booking: Booking,
    @Ctx() ctx: RequestContext,
  ): DestinationCalendar | null | Promise<DestinationCalendar | null> {
    if (booking.destinationCalendarId == null) return null;
    return viewed(ctx, booking, ctx.loaders.destinationCalendarById.get(booking.destinationCalendarId), bookingViews.internalObject);
  }

  @FieldResolver(() => [WorkflowReminder], { description: "Reminders scheduled for the booking." })
  workflowReminders(@Root() booking: Booking, @Ctx() ctx: RequestContext): WorkflowReminder[] | Promise<WorkflowReminder[]> {
    return viewed(ctx, booking, ctx.loaders.workflowRemindersByBookingUid.get(booking.uid), bookingViews.internalList);
  }

  @FieldResolver(() => [BookingSeat], { description: "Seats taken (seated event types)." })
  seatsReferences(@Root() booking: Booking, @Ctx() ctx: RequestContext): BookingSeat[] | Promise<BookingSeat[]> {
    const seats = ctx.loaders.seatsByBookingId.get(booking.id);
    return then(viewOf(ctx, booking), (view) => {
      if (view !== "seat") return seats;
      // A seat holder's own seats: those of their own attendee entries.
      const own = then(this.attendees(booking, ctx), (attendees) => new Set(attendees.map((a) => a.id)));
      return then(own, (ids) => then(seats, (rows) => bookingViews.seats(view, ids, rows)));
    }) as BookingSeat[] | Promise<BookingSeat[]>;
  }

  @FieldResolver(() => InstantMeetingToken, {
    nullable: true,
    description: "Instant-meeting token; its `token` is null unless the viewer is the organizer or an admin.",
  })
  async instantMeetingToken(@Root() booking: Booking, @Ctx() ctx: RequestContext): Promise<InstantMeetingToken | null> {
    const token = await ctx.loaders.instantMeetingTokenByBookingId.get(booking.id);
    if (!token) return null;
    const viewer = requireViewer(ctx);
    const members = await ctx.loaders.acceptedMemberIdsByOrganizationId.loadMany(viewer.adminOrganizationIds);
    const memberIds = new Set(members.flatMap((m) => (Array.isArray(m) ? m : [])));
    return maySeeBookingSecrets(viewer, booking, memberIds) ? token : { ...token, token: null };
  }

  @FieldResolver(() => [WebhookScheduledTrigger], { description: "Webhook calls scheduled for the booking." })
  scheduledTriggers(@Root() booking: Booking, @Ctx() ctx: RequestContext): WebhookScheduledTrigger[] | Promise<WebhookScheduledTrigger[]> {
    return viewed(ctx, booking, ctx.loaders.scheduledTriggersByBookingId.get(booking.id), bookingViews.internalList);
  }
}

/** `BookingPage.totalCount`: the count query runs only when the field is selected. */
@Resolver(() => BookingPage)
export class BookingPageResolver {
  @FieldResolver(() => Int, { description: "Number of bookings matching, regardless of paging." })
  totalCount(@Root() page: BookingPage): Promise<number> {
    return page.count();
  }
}

/** `BookingConnection.totalCount`: the count query runs only when the field is selected. */
@Resolver(() => BookingConnection)
export class BookingConnectionResolver {
  @FieldResolver(() => Int, { description: "Number of bookings matching, regardless of paging and cursor." })
  totalCount(@Root() connection: BookingConnection): Promise<number> {
    return connection.count();
  }
}

/** `me`: the API key's owner. */
@Resolver(() => User)
export class ViewerResolver {
  @Query(() => User, { description: "The user the API key belongs to." })
  me(@Ctx() ctx: RequestContext): User {
    return requireViewer(ctx).user;
  }
}
