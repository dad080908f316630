import { Field, Int, ObjectType } from "type-graphql";
import type { Json } from "./json";
import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { UserPermissionRole } from "./enums";

/** Cal.com's `User` model, table `users`. Cal.com has many more columns; unmapped ones are ignored. */
@ObjectType({ simpleResolvers: true, description: "A Cal.com user: organizer of bookings, owner of event types." })
@Entity({ name: "users" })
@Index("users_email_key", ["email"], { unique: true })
@Index("users_organizationId_idx", ["organizationId"])
export class User {
  @Field(() => Int, { description: "Numeric id." })
  @PrimaryGeneratedColumn()
  id!: number;

  @Field(() => String, { nullable: true, description: "Public username (booking page slug)." })
  @Column({ type: "text", nullable: true })
  username!: string | null;

  @Field(() => String, { nullable: true, description: "Display name." })
  @Column({ type: "text", nullable: true })
  name!: string | null;

  @Field(() => String, { description: "E-mail address (unique)." })
  @Column({ type: "text" })
  email!: string;

  @Field(() => String, { description: "IANA time zone the user works in." })
  @Column({ type: "text", default: "Europe/London" })
  timeZone!: string;

  @Field(() => String, { nullable: true, description: "Preferred language (e.g. `en`)." })
  @Column({ type: "text", nullable: true })
  locale!: string | null;

  @Field(() => UserPermissionRole, { description: "System role: ADMIN is a system administrator." })
  @Column({ type: "enum", enum: UserPermissionRole, enumName: "UserPermissionRole", default: UserPermissionRole.USER })
  role!: UserPermissionRole;

  /** A locked user's API keys are refused (FORBIDDEN). Not exposed. */
  @Column({ type: "boolean", default: false })
  locked!: boolean;

  @Field(() => Int, { nullable: true, description: "Organization the user belongs to, if any." })
  @Column({ type: "int", nullable: true })
  organizationId!: number | null;

  /** Prisma field `createdDate`, column `created`. */
  @Column({ name: "created", type: "timestamp", precision: 3, default: () => "CURRENT_TIMESTAMP" })
  createdDate!: Date;

  @Column({ type: "jsonb", nullable: true })
  metadata!: Json;

  @Field(() => Int, {
    nullable: true,
    description: "The user's default schedule of working hours (null: their first schedule, else Monday–Friday 09:00–17:00).",
  })
  @Column({ type: "int", nullable: true })
  defaultScheduleId!: number | null;
}
