import { Field, Int, ObjectType } from "type-graphql";
import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** Cal.com's `"Attendee"`: the booker and each guest of a booking. */
@ObjectType({ simpleResolvers: true, description: "A person attending a booking: the booker or a guest." })
@Entity({ name: "Attendee" })
@Index("Attendee_bookingId_idx", ["bookingId"])
@Index("Attendee_email_idx", ["email"])
export class Attendee {
  @Field(() => Int, { description: "Numeric id." })
  @PrimaryGeneratedColumn()
  id!: number;

  @Field(() => String, { description: "E-mail address." })
  @Column({ type: "text" })
  email!: string;

  @Field(() => String, { description: "Name." })
  @Column({ type: "text" })
  name!: string;

  @Field(() => String, { description: "IANA time zone of the attendee." })
  @Column({ type: "text" })
  timeZone!: string;

  @Field(() => String, { nullable: true, description: "Phone number, if given." })
  @Column({ type: "text", nullable: true })
  phoneNumber!: string | null;

  @Field(() => String, { nullable: true, description: "Preferred language." })
  @Column({ type: "text", nullable: true, default: "en" })
  locale!: string | null;

  @Field(() => Int, { nullable: true, description: "The booking attended." })
  @Column({ type: "int", nullable: true })
  bookingId!: number | null;

  @Field(() => Boolean, { nullable: true, description: "Marked as a no-show." })
  @Column({ type: "boolean", nullable: true, default: false })
  noShow!: boolean | null;
}
