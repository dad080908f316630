import { GraphQLJSON } from "graphql-scalars";
import { Field, Int, ObjectType } from "type-graphql";
import type { Json } from "./json";
import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { PeriodType, SchedulingType } from "./enums";

/** Cal.com's `"EventType"`: what can be booked (owned by a user, or by a team with hosts). */
@ObjectType({ simpleResolvers: true, description: "A bookable event type: owned by a user, or by a team whose hosts take the bookings." })
@Entity({ name: "EventType" })
@Index("EventType_userId_slug_key", ["userId", "slug"], { unique: true })
@Index("EventType_teamId_slug_key", ["teamId", "slug"], { unique: true })
@Index("EventType_userId_idx", ["userId"])
@Index("EventType_teamId_idx", ["teamId"])
export class EventType {
  @Field(() => Int, { description: "Numeric id." })
  @PrimaryGeneratedColumn()
  id!: number;

  @Field(() => String, { description: "Title shown to bookers." })
  @Column({ type: "text" })
  title!: string;

  @Field(() => String, { description: "URL slug, unique per owner or team." })
  @Column({ type: "text" })
  slug!: string;

  @Field(() => String, { nullable: true, description: "Description shown to bookers." })
  @Column({ type: "text", nullable: true })
  description!: string | null;

  @Field(() => Int, { description: "Duration in minutes." })
  @Column({ type: "int" })
  length!: number;

  @Field(() => Boolean, { description: "Hidden event types are not listed publicly and only bookable by their owners and admins." })
  @Column({ type: "boolean", default: false })
  hidden!: boolean;

  @Field(() => Int, { nullable: true, description: "Owner (personal event types)." })
  @Column({ type: "int", nullable: true })
  userId!: number | null;

  @Field(() => Int, { nullable: true, description: "Owning team (team event types)." })
  @Column({ type: "int", nullable: true })
  teamId!: number | null;

  @Field(() => String, { nullable: true, description: "Title template for bookings (e.g. `{Event type title} with {Scheduler}`)." })
  @Column({ type: "text", nullable: true })
  eventName!: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: "Configured locations: an array of `{type, address?, link?}`." })
  @Column({ type: "jsonb", nullable: true })
  locations!: Json;

  @Field(() => Boolean, { description: "New bookings start PENDING until the organizer confirms." })
  @Column({ type: "boolean", default: false })
  requiresConfirmation!: boolean;

  @Field(() => Int, { description: "Minutes of notice required before a booking's start." })
  @Column({ type: "int", default: 120 })
  minimumBookingNotice!: number;

  @Field(() => Int, { description: "Buffer in minutes kept free before each booking." })
  @Column({ type: "int", default: 0 })
  beforeEventBuffer!: number;

  @Field(() => Int, { description: "Buffer in minutes kept free after each booking." })
  @Column({ type: "int", default: 0 })
  afterEventBuffer!: number;

  @Field(() => Int, { nullable: true, description: "Seats per time slot (seated events), else null." })
  @Column({ type: "int", nullable: true })
  seatsPerTimeSlot!: number | null;

  @Field(() => SchedulingType, { nullable: true, description: "How a team event type assigns hosts." })
  @Column({ type: "enum", enum: SchedulingType, enumName: "SchedulingType", nullable: true })
  schedulingType!: SchedulingType | null;

  @Field(() => Int, { description: "Price in the currency's minor unit; > 0 makes new bookings PENDING until paid." })
  @Column({ type: "int", default: 0 })
  price!: number;

  @Field(() => String, { description: "ISO currency code, lower case (e.g. `usd`)." })
  @Column({ type: "text", default: "usd" })
  currency!: string;

  @Field(() => GraphQLJSON, { nullable: true, description: "Free-form metadata; `multipleDuration` lists other allowed lengths." })
  @Column({ type: "jsonb", nullable: true })
  metadata!: Json;

  @Field(() => GraphQLJSON, { nullable: true, description: "Recurrence rule for recurring event types, else null." })
  @Column({ type: "jsonb", nullable: true })
  recurringEvent!: Json;

  /** Cal.com's display order (higher first). */
  @Column({ type: "int", default: 0 })
  position!: number;

  /** The event type's own schedule (before hosts' and users' schedules). */
  @Column({ type: "int", nullable: true })
  scheduleId!: number | null;

  @Field(() => Int, { nullable: true, description: "Minutes between slot starts; null: the chosen duration." })
  @Column({ type: "int", nullable: true })
  slotInterval!: number | null;

  @Field(() => PeriodType, { description: "How far ahead the event type may be booked." })
  @Column({ type: "enum", enum: PeriodType, enumName: "PeriodType", default: PeriodType.UNLIMITED })
  periodType!: PeriodType;

  @Field(() => Int, { nullable: true, description: "Days ahead for ROLLING / ROLLING_WINDOW periods." })
  @Column({ type: "int", nullable: true })
  periodDays!: number | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "ROLLING periods count calendar days when true, business days (Monday–Friday) otherwise.",
  })
  @Column({ type: "boolean", nullable: true })
  periodCountCalendarDays!: boolean | null;

  @Field(() => Date, { nullable: true, description: "First day of a RANGE period (its calendar date counts)." })
  @Column({ type: "timestamp", precision: 3, nullable: true })
  periodStartDate!: Date | null;

  @Field(() => Date, { nullable: true, description: "Last day of a RANGE period (its calendar date counts)." })
  @Column({ type: "timestamp", precision: 3, nullable: true })
  periodEndDate!: Date | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: "Booking limits per period: `{PER_DAY, PER_WEEK, PER_MONTH, PER_YEAR}` (any subset), counted in the event's zone.",
  })
  @Column({ type: "jsonb", nullable: true })
  bookingLimits!: Json;

  /** Legacy zone of the event type's hours (after the schedule's own zone). */
  @Column({ type: "text", nullable: true })
  timeZone!: string | null;

  /** Cal.com lets PENDING bookings block only with this flag; the gateway always lets them block. */
  @Column({ type: "boolean", default: false })
  requiresConfirmationWillBlockSlot!: boolean;
}
