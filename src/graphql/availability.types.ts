import { ArgsType, Field, Int, ObjectType } from "type-graphql";

@ObjectType({ simpleResolvers: true, description: "A free start time of an event type." })
export class Slot {
  @Field(() => Date, { description: "Start (UTC)." })
  start!: Date;

  @Field(() => Date, { description: "End (UTC): start + the requested duration." })
  end!: Date;

  @Field(() => Int, { nullable: true, description: "Seats still free in this slot (seated event types), else null." })
  seatsRemaining!: number | null;
}

@ObjectType({ simpleResolvers: true, description: "The free slots of one day." })
export class SlotDay {
  @Field(() => String, { description: '"YYYY-MM-DD": the date of the slots\' start in the requested time zone.' })
  date!: string;

  @Field(() => [Slot], { description: "The day's slots, ascending." })
  slots!: Slot[];
}

@ArgsType()
export class EventTypesArgs {
  @Field(() => Int, { nullable: true, description: "Owner's user id." })
  userId?: number;

  @Field(() => String, { nullable: true, description: "Owner's username." })
  username?: string;

  @Field(() => Int, { nullable: true, description: "Owning team's id." })
  teamId?: number;
}

@ArgsType()
export class EventTypeArgs {
  @Field(() => Int, { nullable: true, description: "Numeric id (alone)." })
  id?: number;

  @Field(() => String, { nullable: true, description: "Owner's username (with slug)." })
  username?: string;

  @Field(() => String, { nullable: true, description: "Owning team's slug (with slug)." })
  teamSlug?: string;

  @Field(() => String, { nullable: true, description: "The event type's slug (with username or teamSlug)." })
  slug?: string;
}

@ArgsType()
export class SlotsArgs {
  @Field(() => Int, { description: "The event type to book." })
  eventTypeId!: number;

  @Field(() => Date, { description: "First instant a slot may start at." })
  from!: Date;

  @Field(() => Date, { description: "Slots start before this instant (at most 62 days after from)." })
  to!: Date;

  @Field(() => String, { description: 'IANA zone of the grid and of the days (e.g. "Europe/Berlin").' })
  timeZone!: string;

  @Field(() => Int, { nullable: true, description: "Minutes: the length or one of the event type's other lengths (default: its length)." })
  duration?: number;

  @Field(() => Int, { nullable: true, description: "A booking being rescheduled: it does not block its own time." })
  rescheduleBookingId?: number;
}
