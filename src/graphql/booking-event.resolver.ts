import { Args, Ctx, FieldResolver, Query, Resolver, Root } from "type-graphql";
import type { RequestContext } from "../context";
import { bookingEventsPage } from "../domain/events/booking-event-feed.service";
import { Booking } from "../entities";
import { BookingEvent, BookingEventPage, BookingEventsArgs } from "./booking-event.types";

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
