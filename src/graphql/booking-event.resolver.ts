import { Args, Ctx, FieldResolver, Query, Resolver, Root, Subscription } from "type-graphql";
import type { RequestContext } from "../context";
import { bookingEventsPage } from "../domain/events/booking-event-feed.service";
import { Booking } from "../entities";
import { openBookingEventStream } from "../domain/events/booking-event-stream";
import { createLoaders } from "../loaders";
import { BookingEvent, BookingEventPage, BookingEventsArgs, BookingEventSubscriptionArgs } from "./booking-event.types";

/** The change feed of booking events. */
@Resolver(() => BookingEvent)
export class BookingEventResolver {
  @Query(() => BookingEventPage, {
    description:
      "Booking events in commit order, those whose booking the viewer may read now. Page with `after` = the last `endCursor`: no event is ever skipped or repeated, also while others commit. Events are kept BOOKING_EVENTS_RETENTION_DAYS days.",
  })
  bookingEvents(@Ctx() ctx: RequestContext, @Args() args: BookingEventsArgs): Promise<BookingEventPage> {
    return bookingEventsPage(ctx, args);
  }

  @FieldResolver(() => Booking, { description: "The booking as it is now." })
  async booking(@Root() event: BookingEvent, @Ctx() ctx: RequestContext): Promise<Booking> {
    const booking = await ctx.loaders.bookingById.load(event.bookingId);
    if (!booking) throw new Error(`Booking ${event.bookingId} of event ${event.id} is gone.`);
    return booking;
  }
}

/** Live booking events over WebSocket (graphql-ws). */
@Resolver(() => BookingEvent)
export class BookingEventSubscriptionResolver {
  @Subscription(() => BookingEvent, {
    description:
      "Booking events as they are committed, on any instance, those whose booking the viewer may read. With `after`: the log from there first, then live. Over WebSocket (graphql-transport-ws) on /graphql.",
    subscribe: ({ args, context }) => {
      const ctx = context as RequestContext;
      // Each event is executed with fresh loaders: its `booking` shows the booking as it is now.
      return openBookingEventStream(ctx, args as BookingEventSubscriptionArgs, () => {
        ctx.store = { sqlStatements: 0 };
        ctx.loaders = createLoaders(ctx.dataSource, ctx.store, ctx.viewer);
      });
    },
  })
  bookingEvents(@Root() event: BookingEvent, @Args() _args: BookingEventSubscriptionArgs): BookingEvent {
    return event;
  }
}
