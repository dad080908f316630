import { Field, Int, ObjectType } from "type-graphql";
import type { Json } from "./json";
import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** Cal.com's `"Team"`: a team, or (with `isOrganization`) an organization. The API shows id, name and slug. */
@ObjectType({ simpleResolvers: true, description: "A team that owns event types." })
@Entity({ name: "Team" })
@Index("Team_parentId_idx", ["parentId"])
export class Team {
  @Field(() => Int, { description: "Numeric id." })
  @PrimaryGeneratedColumn()
  id!: number;

  @Field(() => String, { description: "Display name." })
  @Column({ type: "text" })
  name!: string;

  @Field(() => String, { nullable: true, description: "URL slug (booking pages of the team's event types)." })
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
