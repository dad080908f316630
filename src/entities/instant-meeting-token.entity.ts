import { Field, Int, ObjectType } from "type-graphql";
import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** Cal.com's `"InstantMeetingToken"`: the token that lets a host join an instant meeting. */
@ObjectType({
  simpleResolvers: true,
  description: "Token of an instant meeting. `token` is shown only to the booking's organizer and admins.",
})
@Entity({ name: "InstantMeetingToken" })
@Index("InstantMeetingToken_token_key", ["token"], { unique: true })
@Index("InstantMeetingToken_bookingId_key", ["bookingId"], { unique: true })
export class InstantMeetingToken {
  @Field(() => Int, { description: "Numeric id." })
  @PrimaryGeneratedColumn()
  id!: number;

  @Field(() => String, { nullable: true, description: "The secret token; null unless the viewer is the organizer or an admin." })
  @Column({ type: "text" })
  token!: string | null;

  @Field(() => Date, { description: "When the token stops working." })
  @Column({ type: "timestamp", precision: 3 })
  expires!: Date;

  @Field(() => Int, { description: "Team whose hosts may pick the meeting up." })
  @Column({ type: "int" })
  teamId!: number;

  @Field(() => Int, { nullable: true, description: "The instant booking." })
  @Column({ type: "int", nullable: true })
  bookingId!: number | null;

  @Field(() => Date, { description: "Creation time." })
  @Column({ type: "timestamp", precision: 3, default: () => "CURRENT_TIMESTAMP" })
  createdAt!: Date;

  @Field(() => Date, { description: "Last update time." })
  @Column({ type: "timestamp", precision: 3 })
  updatedAt!: Date;
}
