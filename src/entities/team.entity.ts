import type { Json } from "./json";
import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** Cal.com's `"Team"`: a team, or (with `isOrganization`) an organization. Not exposed in the API. */
@Entity({ name: "Team" })
@Index("Team_parentId_idx", ["parentId"])
export class Team {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "text" })
  name!: string;

  @Column({ type: "text", nullable: true })
  slug!: string | null;

  /** Sub-teams of an organization point to it. */
  @Column({ type: "int", nullable: true })
  parentId!: number | null;

  @Column({ type: "boolean", default: false })
  isOrganization!: boolean;

  @Column({ type: "jsonb", nullable: true })
  metadata!: Json;
}
