import { GraphQLJSON } from "graphql-scalars";
import { Field, InputType, Int } from "type-graphql";
import { BookingStatus } from "../entities";

@InputType({ description: "Where the meeting happens, as Cal.com's booking form sends it." })
export class LocationInput {
  @Field(() => String, {
    description:
      "Location kind: userPhone, phone, link, inPerson, attendeeInPerson or an integration (integrations:daily, integrations:zoom, …); one the event type offers when it configures any.",
  })
  value!: string;

  @Field(() => String, { nullable: true, description: "The attendee's value for phone / attendeeInPerson (number, address)." })
  optionValue?: string | null;
}

@InputType({ description: "The booker's answers to the booking form." })
export class BookingResponsesInput {
  @Field(() => String, { description: "Booker's name." })
  name!: string;

  @Field(() => String, { description: "Booker's e-mail address." })
  email!: string;

  @Field(() => LocationInput, { nullable: true, description: "Chosen location; default: the event type's first location." })
  location?: LocationInput | null;

  @Field(() => [String], { nullable: true, description: "E-mail addresses of guests (each becomes an attendee)." })
  guests?: string[] | null;

  @Field(() => String, { nullable: true, description: "Notes for the organizer (the description when none is given)." })
  notes?: string | null;

  @Field(() => String, { nullable: true, description: "Phone number for SMS reminders." })
  smsReminderNumber?: string | null;
}

@InputType({ description: "A new booking of an event type." })
export class CreateBookingInput {
  @Field(() => Int, { description: "Event type to book." })
  eventTypeId!: number;

  @Field(() => Date, { description: "Start; not in the past and not inside the event type's minimum notice." })
  start!: Date;

  @Field(() => Date, {
    nullable: true,
    description: "End; default start + the event length. The length must be the event's or one of its metadata.multipleDuration.",
  })
  end?: Date | null;

  @Field(() => String, { description: "Booker's IANA time zone (e.g. Europe/Berlin)." })
  timeZone!: string;

  @Field(() => String, { nullable: true, defaultValue: "en", description: "Booker's language (e.g. en, pt-BR)." })
  language?: string | null;

  @Field(() => BookingResponsesInput, { description: "The booking form's answers." })
  responses!: BookingResponsesInput;

  @Field(() => String, {
    nullable: true,
    description: 'Title; default from the event type\'s eventName template or "<event> between <organizer> and <booker>".',
  })
  title?: string | null;

  @Field(() => String, { nullable: true, description: "Description; default the booker's notes." })
  description?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: "Metadata: an object of string values." })
  metadata?: unknown;

  @Field(() => String, { nullable: true, description: "Series id when this booking is an occurrence of a recurring series." })
  recurringEventId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Client idempotency key: sending the same key again (per API key owner) returns the first booking and writes nothing.",
  })
  idempotencyKey?: string | null;
}

@InputType({ description: "Changes to a booking: only these fields can be edited." })
export class UpdateBookingInput {
  @Field(() => String, { nullable: true, description: "New title." })
  title?: string | null;

  @Field(() => String, { nullable: true, description: "New description (null clears it)." })
  description?: string | null;

  @Field(() => Date, { nullable: true, description: "New start; alone, the booking keeps its duration." })
  start?: Date | null;

  @Field(() => Date, { nullable: true, description: "New end (after start)." })
  end?: Date | null;

  @Field(() => BookingStatus, { nullable: true, description: "New status, along the allowed transitions." })
  status?: BookingStatus | null;
}
