import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** Cal.com's `"Host"`: a user who takes bookings of a team event type. */
@Entity({ name: "Host" })
@Index("Host_eventTypeId_idx", ["eventTypeId"])
export class Host {
  @PrimaryColumn({ type: "int" })
  userId!: number;

  @PrimaryColumn({ type: "int" })
  eventTypeId!: number;

  /** Fixed hosts attend every booking; round-robin hosts are picked among. */
  @Column({ type: "boolean", default: false })
  isFixed!: boolean;

  @Column({ type: "int", nullable: true })
  priority!: number | null;

  @Column({ type: "int", nullable: true })
  weight!: number | null;

  /** The host's schedule for this event type (after the event type's own). */
  @Column({ type: "int", nullable: true })
  scheduleId!: number | null;
}
