import { Field, Int, ObjectType } from "type-graphql";
import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** Cal.com's `"Host"`: a user who takes bookings of a team event type. */
@ObjectType({ simpleResolvers: true, description: "A user who takes bookings of a team event type." })
@Entity({ name: "Host" })
@Index("Host_eventTypeId_idx", ["eventTypeId"])
export class Host {
  @PrimaryColumn({ type: "int" })
  userId!: number;

  @PrimaryColumn({ type: "int" })
  eventTypeId!: number;

  /** Fixed hosts attend every booking; round-robin hosts are picked among. */
  @Field(() => Boolean, { description: "Fixed hosts attend every booking; the others are picked among (round robin)." })
  @Column({ type: "boolean", default: false })
  isFixed!: boolean;

  @Field(() => Int, { nullable: true, description: "Round-robin priority (higher first; null counts as 2)." })
  @Column({ type: "int", nullable: true })
  priority!: number | null;

  @Field(() => Int, { nullable: true, description: "Round-robin weight (higher first after priority; null counts as 100)." })
  @Column({ type: "int", nullable: true })
  weight!: number | null;

  /** The host's schedule for this event type (after the event type's own). */
  @Column({ type: "int", nullable: true })
  scheduleId!: number | null;
}
