import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** Cal.com's `"Schedule"`: a named set of working hours of one user (rows in `"Availability"`). */
@Entity({ name: "Schedule" })
@Index("Schedule_userId_idx", ["userId"])
export class Schedule {
  @PrimaryGeneratedColumn()
  id!: number;

  /** The owner. */
  @Column({ type: "int" })
  userId!: number;

  @Column({ type: "text" })
  name!: string;

  /** IANA zone of the hours; null: the event type's, else the user's zone. */
  @Column({ type: "text", nullable: true })
  timeZone!: string | null;
}
