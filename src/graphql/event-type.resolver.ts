import { Args, Ctx, FieldResolver, Int, Query, Resolver, Root } from "type-graphql";
import type { RequestContext } from "../context";
import { userAsSeenBy } from "../domain/booking/booking.policy";
import { allowedDurations } from "../domain/booking/booking-input";
import { orderHosts } from "../domain/availability/host-selection";
import { eventTypeSlots } from "../domain/availability/slots.service";
import { getEventType, listEventTypes } from "../domain/event-type/event-type-read.service";
import { EventType, Host, Team, User } from "../entities";
import { EventTypeArgs, EventTypesArgs, SlotDay, SlotsArgs } from "./availability.types";

/** Event types the viewer may book, their relations, and their free slots. */
@Resolver(() => EventType)
export class EventTypeResolver {
  @Query(() => [EventType], {
    description:
      "The event types of one user (userId or username) or team (teamId) that the viewer may book; exactly one argument. Order: position descending, then id.",
  })
  eventTypes(@Ctx() ctx: RequestContext, @Args() args: EventTypesArgs): Promise<EventType[]> {
    return listEventTypes(ctx, args);
  }

  @Query(() => EventType, {
    description: "One event type the viewer may book: by id, by username + slug, or by teamSlug + slug. NOT_FOUND otherwise.",
  })
  eventType(@Ctx() ctx: RequestContext, @Args() args: EventTypeArgs): Promise<EventType> {
    return getEventType(ctx, args);
  }

  @Query(() => [SlotDay], {
    description:
      "Free start times of the event type in [from, to) (at most 62 days), grouped by day in `timeZone`: working hours, overrides, out-of-office, busy time with buffers, notice, period, limits, seats and hosts applied. Every slot listed can be booked.",
  })
  slots(@Ctx() ctx: RequestContext, @Args() args: SlotsArgs): Promise<SlotDay[]> {
    return eventTypeSlots(ctx, args);
  }

  @FieldResolver(() => User, { nullable: true, description: "Owner of a personal event type (null for team event types)." })
  owner(@Root() eventType: EventType, @Ctx() ctx: RequestContext): User | null | Promise<User | null> {
    if (eventType.userId == null) return null;
    const owner = ctx.loaders.userById.get(eventType.userId);
    return owner instanceof Promise ? owner.then((u) => u && userAsSeenBy(ctx.viewer, u)) : owner && userAsSeenBy(ctx.viewer, owner);
  }

  @FieldResolver(() => [Int], {
    description: "Durations in minutes a booking may have: the length first, then `metadata.multipleDuration`, no repeats.",
  })
  lengths(@Root() eventType: EventType): number[] {
    return allowedDurations(eventType);
  }

  @FieldResolver(() => Team, { nullable: true, description: "The owning team (team event types), else null." })
  team(@Root() eventType: EventType, @Ctx() ctx: RequestContext): Team | null | Promise<Team | null> {
    return eventType.teamId == null ? null : ctx.loaders.teamById.get(eventType.teamId);
  }

  @FieldResolver(() => [Host], {
    description:
      "Hosts who take bookings of a team event type, in host order (fixed first, then priority, weight, id); locked users are left out, as the booking rules skip them; [] for personal event types.",
  })
  async hosts(@Root() eventType: EventType, @Ctx() ctx: RequestContext): Promise<Host[]> {
    if (eventType.userId != null || eventType.teamId == null) return [];
    const hosts = await ctx.loaders.hostsByEventTypeId.load(eventType.id);
    const users = await ctx.loaders.userById.loadMany(hosts.map((h) => h.userId));
    const active = new Set(users.flatMap((u) => (u && !(u instanceof Error) && !u.locked ? [u.id] : [])));
    return orderHosts(hosts.filter((h) => active.has(h.userId)));
  }
}

/** A host's user. */
@Resolver(() => Host)
export class HostResolver {
  @FieldResolver(() => User, { description: "The host." })
  async user(@Root() host: Host, @Ctx() ctx: RequestContext): Promise<User> {
    const user = await ctx.loaders.userById.load(host.userId);
    if (!user) throw new Error(`Host user ${host.userId} is missing.`);
    return userAsSeenBy(ctx.viewer, user);
  }
}
