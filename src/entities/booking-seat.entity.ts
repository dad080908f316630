import { GraphQLJSON } from "graphql-scalars";
import { Field, Int, ObjectType } from "type-graphql";
import type { Json } from "./json";
import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** Cal.com's `"BookingSeat"`: one attendee's seat in a seated booking. */
@ObjectType({ simpleResolvers: true, description: "One attendee's seat in a seated booking." })
@Entity({ name: "BookingSeat" })
@Index("BookingSeat_referenceUid_key", ["referenceUid"], { unique: true })
@Index("BookingSeat_attendeeId_key", ["attendeeId"], { unique: true })
@Index("BookingSeat_bookingId_idx", ["bookingId"])
export class BookingSeat {
  @Field(() => Int, { description: "Numeric id." })
  @PrimaryGeneratedColumn()
  id!: number;

  @Field(() => String, { description: "Public id of the seat (unique)." })
  @Column({ type: "text" })
  referenceUid!: string;

  @Field(() => Int, { description: "The seated booking." })
  @Column({ type: "int" })
  bookingId!: number;

  @Field(() => Int, { description: "The attendee holding the seat." })
  @Column({ type: "int" })
  attendeeId!: number;

  @Field(() => GraphQLJSON, { nullable: true, description: "Seat-specific booking data (e.g. responses)." })
  @Column({ type: "jsonb", nullable: true })
  data!: Json;

  @Field(() => GraphQLJSON, { nullable: true, description: "Free-form metadata." })
  @Column({ type: "jsonb", nullable: true })
  metadata!: Json;
}
