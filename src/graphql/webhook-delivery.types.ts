import { ArgsType, Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";

export enum WebhookDeliveryStatus {
  PENDING = "PENDING",
  DELIVERED = "DELIVERED",
  FAILED = "FAILED",
}

registerEnumType(WebhookDeliveryStatus, {
  name: "WebhookDeliveryStatus",
  description: "Where a webhook delivery stands.",
  valuesConfig: {
    PENDING: { description: "Queued or waiting for its next attempt." },
    DELIVERED: { description: "The subscriber answered 2xx." },
    FAILED: { description: "Given up: WEBHOOK_MAX_ATTEMPTS attempts failed, or the address is refused or the webhook gone." },
  },
});

@ObjectType({
  simpleResolvers: true,
  description: "One webhook delivery: one booking event sent to one Cal.com `Webhook`, over one or more attempts.",
})
export class WebhookDelivery {
  @Field(() => ID, { description: "The delivery's id; also the `webhook-id` header of every attempt." })
  id!: string;

  @Field(() => String, { description: "The `BookingEvent.id` of the change delivered." })
  eventId!: string;

  @Field(() => String, { description: "Cal.com's trigger (`triggerEvent` of the body), e.g. BOOKING_CREATED." })
  trigger!: string;

  @Field(() => WebhookDeliveryStatus, { description: "PENDING, DELIVERED or FAILED." })
  status!: WebhookDeliveryStatus;

  @Field(() => Int, { description: "Attempts made so far (0 when queued or just redelivered)." })
  attempts!: number;

  @Field(() => Int, { nullable: true, description: "HTTP status of the last attempt's answer; null without an answer." })
  lastStatusCode!: number | null;

  @Field(() => String, {
    nullable: true,
    description: "Why the last attempt failed (e.g. `HTTP 500`, a timeout, a refused address); null after success.",
  })
  lastError!: string | null;

  @Field(() => Date, { nullable: true, description: "When the next attempt is due (UTC); null once DELIVERED or FAILED." })
  nextAttemptAt!: Date | null;

  @Field(() => Date, { description: "When the change was committed and the delivery queued (UTC)." })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: "When the subscriber accepted it (UTC)." })
  deliveredAt!: Date | null;
}

@ObjectType({ simpleResolvers: true, description: "One page of a webhook's delivery log, newest first." })
export class WebhookDeliveryPage {
  @Field(() => [WebhookDelivery], { description: "Deliveries, newest first." })
  nodes!: WebhookDelivery[];

  @Field(() => String, { nullable: true, description: "Pass as `after` for the next (older) page." })
  endCursor!: string | null;

  @Field(() => Boolean, { description: "True when older deliveries follow." })
  hasNextPage!: boolean;
}

@ArgsType()
export class WebhookDeliveriesArgs {
  @Field(() => String, { description: "The Cal.com `Webhook` id." })
  webhookId!: string;

  @Field(() => Int, { nullable: true, defaultValue: 50, description: "Page size, 1 to 250." })
  first?: number | null;

  @Field(() => String, { nullable: true, description: "`endCursor` of the previous page." })
  after?: string | null;
}
