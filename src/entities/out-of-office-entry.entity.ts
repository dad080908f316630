import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** Cal.com's `"OutOfOfficeEntry"`: the user is away for [start, end) (UTC). Not exposed in the API. */
@Entity({ name: "OutOfOfficeEntry" })
@Index("OutOfOfficeEntry_userId_idx", ["userId"])
export class OutOfOfficeEntry {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "text", unique: true })
  uuid!: string;

  @Column({ type: "timestamp", precision: 3 })
  start!: Date;

  @Column({ type: "timestamp", precision: 3 })
  end!: Date;

  @Column({ type: "text", nullable: true })
  notes!: string | null;

  @Column({ type: "int" })
  userId!: number;

  @Column({ type: "int", nullable: true })
  toUserId!: number | null;

  @Column({ type: "int", nullable: true })
  reasonId!: number | null;

  @Column({ type: "timestamp", precision: 3, default: () => "CURRENT_TIMESTAMP" })
  createdAt!: Date;

  @Column({ type: "timestamp", precision: 3 })
  updatedAt!: Date;
}
