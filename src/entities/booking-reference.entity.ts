import { Field, Int, ObjectType } from "type-graphql";
import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** Cal.com's `"BookingReference"`: the booking's counterpart in a calendar or video app. */
@ObjectType({ simpleResolvers: true, description: "A booking's counterpart in an external calendar or video app." })
@Entity({ name: "BookingReference" })
@Index("BookingReference_bookingId_idx", ["bookingId"])
export class BookingReference {
  @Field(() => Int, { description: "Numeric id." })
  @PrimaryGeneratedColumn()
  id!: number;

  @Field(() => String, { description: "Integration type (e.g. `google_calendar`, `daily_video`)." })
  @Column({ type: "text" })
  type!: string;

  @Field(() => String, { description: "Id of the event in the external system." })
  @Column({ type: "text" })
  uid!: string;

  @Field(() => String, { nullable: true, description: "Meeting id (video apps)." })
  @Column({ type: "text", nullable: true })
  meetingId!: string | null;

  @Field(() => String, { nullable: true, description: "Meeting password (video apps), for the booking's participants." })
  @Column({ type: "text", nullable: true })
  meetingPassword!: string | null;

  @Field(() => String, { nullable: true, description: "Meeting URL (video apps)." })
  @Column({ type: "text", nullable: true })
  meetingUrl!: string | null;

  @Field(() => Int, { nullable: true, description: "The booking referred to." })
  @Column({ type: "int", nullable: true })
  bookingId!: number | null;

  @Field(() => String, { nullable: true, description: "Calendar the event was written to." })
  @Column({ type: "text", nullable: true })
  externalCalendarId!: string | null;

  @Field(() => Boolean, { nullable: true, description: "Removed from the external system." })
  @Column({ type: "boolean", nullable: true })
  deleted!: boolean | null;

  @Field(() => Int, { nullable: true, description: "Credential used to write the event." })
  @Column({ type: "int", nullable: true })
  credentialId!: number | null;

  @Field(() => String, { nullable: true, description: "Recurring-series id in the external system." })
  @Column({ type: "text", nullable: true })
  thirdPartyRecurringEventId!: string | null;
}
