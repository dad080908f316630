import { GraphQLJSON } from "graphql-scalars";
import { Field, Int, ObjectType } from "type-graphql";
import type { Json } from "./json";
import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { BookingStatus, CreationSource } from "./enums";

/**
 * Cal.com's `"Booking"`. Relation fields (user, eventType, attendees, …) are resolved through
 * per-request DataLoaders in the GraphQL layer, never as per-row queries.
 */
@ObjectType({ simpleResolvers: true, description: "A booking of an event type: organizer, attendees, time and lifecycle state." })
@Entity({ name: "Booking" })
@Index("Booking_uid_key", ["uid"], { unique: true })
@Index("Booking_idempotencyKey_key", ["idempotencyKey"], { unique: true })
@Index("Booking_oneTimePassword_key", ["oneTimePassword"], { unique: true })
@Index("Booking_userId_idx", ["userId"])
@Index("Booking_eventTypeId_idx", ["eventTypeId"])
@Index("Booking_destinationCalendarId_idx", ["destinationCalendarId"])
@Index("Booking_recurringEventId_idx", ["recurringEventId"])
@Index("Booking_status_idx", ["status"])
@Index("Booking_startTime_endTime_status_idx", ["startTime", "endTime", "status"])
@Index("Booking_userId_status_startTime_idx", ["userId", "status", "startTime"])
@Index("Booking_userId_endTime_idx", ["userId", "endTime"])
@Index("Booking_eventTypeId_status_idx", ["eventTypeId", "status"])
export class Booking {
  @Field(() => Int, { description: "Numeric id." })
  @PrimaryGeneratedColumn()
  id!: number;

  @Field(() => String, { description: "Public unique id." })
  @Column({ type: "text" })
  uid!: string;

  @Field(() => String, {
    nullable: true,
    description:
      "Cal.com's slot key (uuidv5 of start, end and organizer) while the booking holds its slot; null once cancelled or rejected.",
  })
  @Column({ type: "text", nullable: true })
  idempotencyKey!: string | null;

  @Field(() => Int, { nullable: true, description: "Organizer's user id." })
  @Column({ type: "int", nullable: true })
  userId!: number | null;

  @Field(() => String, { nullable: true, description: "Organizer's e-mail at booking time." })
  @Column({ type: "text", nullable: true })
  userPrimaryEmail!: string | null;

  @Field(() => Int, { nullable: true, description: "Event type booked." })
  @Column({ type: "int", nullable: true })
  eventTypeId!: number | null;

  @Field(() => String, { description: "Title." })
  @Column({ type: "text" })
  title!: string;

  @Field(() => String, { nullable: true, description: "Description (the booker's notes when none was given)." })
  @Column({ type: "text", nullable: true })
  description!: string | null;

  /** Legacy custom-input answers; `responses` supersedes them. */
  @Column({ type: "jsonb", nullable: true })
  customInputs!: Json;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: "The booker's answers to the booking form (name, email, location, guests, notes…).",
  })
  @Column({ type: "jsonb", nullable: true })
  responses!: Json;

  @Field(() => Date, { description: "Start (UTC)." })
  @Column({ type: "timestamp", precision: 3 })
  startTime!: Date;

  @Field(() => Date, { description: "End (UTC), exclusive: [startTime, endTime)." })
  @Column({ type: "timestamp", precision: 3 })
  endTime!: Date;

  @Field(() => String, { nullable: true, description: "Where the meeting happens (address, link, phone or integration)." })
  @Column({ type: "text", nullable: true })
  location!: string | null;

  @Field(() => Date, { description: "Creation time (UTC)." })
  @Column({ type: "timestamp", precision: 3, default: () => "CURRENT_TIMESTAMP" })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: "Last update time (UTC); null if never updated." })
  @Column({ type: "timestamp", precision: 3, nullable: true })
  updatedAt!: Date | null;

  @Field(() => BookingStatus, { description: "Lifecycle state." })
  @Column({ type: "enum", enum: BookingStatus, enumName: "BookingStatus", default: BookingStatus.ACCEPTED })
  status!: BookingStatus;

  @Field(() => Boolean, { description: "Paid (for event types with a price)." })
  @Column({ type: "boolean", default: false })
  paid!: boolean;

  @Field(() => Int, { nullable: true, description: "Id of the destination calendar." })
  @Column({ type: "int", nullable: true })
  destinationCalendarId!: number | null;

  @Field(() => String, { nullable: true, description: "Reason given when cancelling (or rescheduling)." })
  @Column({ type: "text", nullable: true })
  cancellationReason!: string | null;

  @Field(() => String, { nullable: true, description: "Reason given when rejecting." })
  @Column({ type: "text", nullable: true })
  rejectionReason!: string | null;

  @Column({ type: "text", nullable: true })
  reassignReason!: string | null;

  @Column({ type: "int", nullable: true })
  reassignById!: number | null;

  @Field(() => String, { nullable: true, description: "Slug of a dynamic (multi-user) event." })
  @Column({ type: "text", nullable: true })
  dynamicEventSlugRef!: string | null;

  @Field(() => String, { nullable: true, description: "Group slug of a dynamic event." })
  @Column({ type: "text", nullable: true })
  dynamicGroupSlugRef!: string | null;

  @Field(() => Boolean, { nullable: true, description: "True on a booking that was replaced by a reschedule." })
  @Column({ type: "boolean", nullable: true })
  rescheduled!: boolean | null;

  @Field(() => String, { nullable: true, description: "Uid of the booking this one replaced (reschedule)." })
  @Column({ type: "text", nullable: true })
  fromReschedule!: string | null;

  @Field(() => String, { nullable: true, description: "Series id shared by the occurrences of a recurring booking." })
  @Column({ type: "text", nullable: true })
  recurringEventId!: string | null;

  @Field(() => String, { nullable: true, description: "Number for SMS reminders." })
  @Column({ type: "text", nullable: true })
  smsReminderNumber!: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: "Free-form metadata (string values)." })
  @Column({ type: "jsonb", nullable: true })
  metadata!: Json;

  @Field(() => Boolean, { description: "The meeting was recorded." })
  @Column({ type: "boolean", default: false })
  isRecorded!: boolean;

  @Field(() => String, { nullable: true, description: "iCalendar UID, shared across reschedules." })
  @Column({ type: "text", nullable: true, default: "" })
  iCalUID!: string | null;

  @Field(() => Int, { description: "iCalendar SEQUENCE: bumped when the booking is moved, cancelled or rescheduled." })
  @Column({ type: "int", default: 0 })
  iCalSequence!: number;

  @Field(() => Int, { nullable: true, description: "Rating left by an attendee." })
  @Column({ type: "int", nullable: true })
  rating!: number | null;

  @Field(() => String, { nullable: true, description: "Feedback left with the rating." })
  @Column({ type: "text", nullable: true })
  ratingFeedback!: string | null;

  @Field(() => Boolean, { nullable: true, description: "The host did not show up." })
  @Column({ type: "boolean", nullable: true, default: false })
  noShowHost!: boolean | null;

  /** Secret for seat/attendee links. Never exposed. */
  @Column({ type: "text", nullable: true })
  oneTimePassword!: string | null;

  @Field(() => String, { nullable: true, description: "E-mail of whoever cancelled the booking." })
  @Column({ type: "text", nullable: true })
  cancelledBy!: string | null;

  @Field(() => String, { nullable: true, description: "E-mail of whoever rescheduled the booking." })
  @Column({ type: "text", nullable: true })
  rescheduledBy!: string | null;

  @Column({ type: "enum", enum: CreationSource, enumName: "CreationSource", nullable: true })
  creationSource!: CreationSource | null;

  /**
   * A booking token (`bk_…`, contract "Browser access"): set only on the answer of the
   * createBooking or rescheduleBooking that made this booking; null in every other read. Not a column.
   */
  @Field(() => String, {
    nullable: true,
    description:
      "Booking token for whoever booked: send as `Authorization: Bearer bk_…` to read, cancel or reschedule this booking without an account. Only in the answer of the createBooking / rescheduleBooking that made it; null elsewhere.",
  })
  manageToken?: string | null;
}
