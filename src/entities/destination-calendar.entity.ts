import { Field, Int, ObjectType } from "type-graphql";
import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** Cal.com's `"DestinationCalendar"`: where new events are written. */
@ObjectType({ simpleResolvers: true, description: "The calendar a booking's event is written to." })
@Entity({ name: "DestinationCalendar" })
@Index("DestinationCalendar_userId_key", ["userId"], { unique: true })
@Index("DestinationCalendar_eventTypeId_key", ["eventTypeId"], { unique: true })
export class DestinationCalendar {
  @Field(() => Int, { description: "Numeric id." })
  @PrimaryGeneratedColumn()
  id!: number;

  @Field(() => String, { description: "Calendar integration (e.g. `google_calendar`)." })
  @Column({ type: "text" })
  integration!: string;

  @Field(() => String, { description: "Calendar id in the external system." })
  @Column({ type: "text" })
  externalId!: string;

  @Field(() => String, { nullable: true, description: "Primary e-mail of the calendar account." })
  @Column({ type: "text", nullable: true })
  primaryEmail!: string | null;

  @Field(() => Int, { nullable: true, description: "User whose default calendar this is." })
  @Column({ type: "int", nullable: true })
  userId!: number | null;

  @Field(() => Int, { nullable: true, description: "Event type whose calendar this is." })
  @Column({ type: "int", nullable: true })
  eventTypeId!: number | null;

  @Field(() => Int, { nullable: true, description: "Credential used to access the calendar." })
  @Column({ type: "int", nullable: true })
  credentialId!: number | null;
}
