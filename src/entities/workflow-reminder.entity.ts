import { Field, Int, ObjectType } from "type-graphql";
import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { WorkflowMethods } from "./enums";

/** Cal.com's `"WorkflowReminder"`: a reminder scheduled for a booking (joined by booking uid). */
@ObjectType({ simpleResolvers: true, description: "A workflow reminder (e-mail, SMS, WhatsApp) scheduled for a booking." })
@Entity({ name: "WorkflowReminder" })
@Index("WorkflowReminder_referenceId_key", ["referenceId"], { unique: true })
@Index("WorkflowReminder_bookingUid_idx", ["bookingUid"])
export class WorkflowReminder {
  @Field(() => Int, { description: "Numeric id." })
  @PrimaryGeneratedColumn()
  id!: number;

  @Field(() => String, { nullable: true, description: "Uid of the booking reminded of." })
  @Column({ type: "text", nullable: true })
  bookingUid!: string | null;

  @Field(() => WorkflowMethods, { description: "Channel." })
  @Column({ type: "enum", enum: WorkflowMethods, enumName: "WorkflowMethods" })
  method!: WorkflowMethods;

  @Field(() => Date, { description: "When the reminder is sent." })
  @Column({ type: "timestamp", precision: 3 })
  scheduledDate!: Date;

  @Field(() => String, { nullable: true, description: "Provider's id for the scheduled message." })
  @Column({ type: "text", nullable: true })
  referenceId!: string | null;

  @Field(() => Boolean, { description: "Handed to the provider." })
  @Column({ type: "boolean" })
  scheduled!: boolean;

  @Field(() => Int, { nullable: true, description: "Workflow step that created it." })
  @Column({ type: "int", nullable: true })
  workflowStepId!: number | null;

  @Field(() => Boolean, { nullable: true, description: "Cancelled before being sent." })
  @Column({ type: "boolean", nullable: true })
  cancelled!: boolean | null;

  @Field(() => String, { nullable: true, description: "Seat the reminder is for (seated events)." })
  @Column({ type: "text", nullable: true })
  seatReferenceId!: string | null;

  @Field(() => Boolean, { nullable: true, description: "Sent regardless of user workflows." })
  @Column({ type: "boolean", nullable: true, default: false })
  isMandatoryReminder!: boolean | null;

  @Field(() => Int, { description: "Delivery attempts so far." })
  @Column({ type: "int", default: 0 })
  retryCount!: number;
}
