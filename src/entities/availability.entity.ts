import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/**
 * Cal.com's `"Availability"`: weekly hours of a schedule (`date` null; `days` 0 = Sunday … 6 =
 * Saturday) or a date override (`date` set, `days` empty). `startTime` / `endTime` are Postgres
 * `time` values read as wall-clock time in the schedule's zone ("09:00:00"); 23:59 means the end
 * of the day. Legacy rows without a schedule (`userId` / `eventTypeId` only) are ignored.
 */
@Entity({ name: "Availability" })
@Index("Availability_scheduleId_idx", ["scheduleId"])
export class Availability {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "int", nullable: true })
  userId!: number | null;

  @Column({ type: "int", nullable: true })
  eventTypeId!: number | null;

  @Column({ type: "int", array: true, nullable: true })
  days!: number[] | null;

  @Column({ type: "time" })
  startTime!: string;

  @Column({ type: "time" })
  endTime!: string;

  /** The overridden calendar date ("YYYY-MM-DD"), or null for weekly hours. */
  @Column({ type: "date", nullable: true })
  date!: string | null;

  @Column({ type: "int", nullable: true })
  scheduleId!: number | null;
}
