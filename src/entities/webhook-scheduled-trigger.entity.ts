import { Field, Int, ObjectType } from "type-graphql";
import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** Cal.com's `"WebhookScheduledTriggers"`: a webhook call queued for later (e.g. meeting ended). */
@ObjectType({ simpleResolvers: true, description: "A webhook call scheduled for a booking (e.g. 'meeting ended')." })
@Entity({ name: "WebhookScheduledTriggers" })
@Index("WebhookScheduledTriggers_bookingId_idx", ["bookingId"])
export class WebhookScheduledTrigger {
  @Field(() => Int, { description: "Numeric id." })
  @PrimaryGeneratedColumn()
  id!: number;

  @Field(() => String, { nullable: true, description: "Job name." })
  @Column({ type: "text", nullable: true })
  jobName!: string | null;

  @Field(() => String, { description: "URL the payload is posted to." })
  @Column({ type: "text" })
  subscriberUrl!: string;

  @Field(() => String, { description: "The stored JSON payload, as text." })
  @Column({ type: "text" })
  payload!: string;

  @Field(() => Date, { description: "Not sent before this time." })
  @Column({ type: "timestamp", precision: 3 })
  startAfter!: Date;

  @Field(() => Int, { description: "Delivery attempts so far." })
  @Column({ type: "int", default: 0 })
  retryCount!: number;

  @Field(() => Date, { nullable: true, description: "Creation time." })
  @Column({ type: "timestamp", precision: 3, nullable: true, default: () => "CURRENT_TIMESTAMP" })
  createdAt!: Date | null;

  @Field(() => String, { nullable: true, description: "App that scheduled it." })
  @Column({ type: "text", nullable: true })
  appId!: string | null;

  @Field(() => String, { nullable: true, description: "Webhook that scheduled it." })
  @Column({ type: "text", nullable: true })
  webhookId!: string | null;

  @Field(() => Int, { nullable: true, description: "The booking concerned." })
  @Column({ type: "int", nullable: true })
  bookingId!: number | null;
}
