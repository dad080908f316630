import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { MembershipRole } from "./enums";

/** Cal.com's `"Membership"`: a user's role in a team or organization (counts only once accepted). */
@Entity({ name: "Membership" })
@Index("Membership_userId_teamId_key", ["userId", "teamId"], { unique: true })
@Index("Membership_teamId_idx", ["teamId"])
@Index("Membership_userId_idx", ["userId"])
export class Membership {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "int" })
  teamId!: number;

  @Column({ type: "int" })
  userId!: number;

  @Column({ type: "boolean", default: false })
  accepted!: boolean;

  @Column({ type: "enum", enum: MembershipRole, enumName: "MembershipRole" })
  role!: MembershipRole;
}
