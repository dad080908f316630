import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import { redeliverWebhook, webhookDeliveries } from "../domain/webhooks/webhook-delivery-log.service";
import { WebhookDeliveriesArgs, WebhookDelivery, WebhookDeliveryPage, type WebhookDeliveryStatus } from "./webhook-delivery.types";

/** The webhook delivery log and redelivery. */
@Resolver(() => WebhookDelivery)
export class WebhookDeliveryResolver {
  @Query(() => WebhookDeliveryPage, {
    description:
      "A webhook's deliveries, newest first. Allowed to the webhook's user, admins of its event type's team, its team or organization, and system admins; anyone else: NOT_FOUND.",
  })
  async webhookDeliveries(@Ctx() ctx: RequestContext, @Args() args: WebhookDeliveriesArgs): Promise<WebhookDeliveryPage> {
    const page = await webhookDeliveries(ctx, args);
    return { ...page, nodes: page.nodes.map((n) => ({ ...n, status: n.status as WebhookDeliveryStatus })) };
  }

  @Mutation(() => WebhookDelivery, {
    description: "Queues a delivery again, attempts back at zero, and answers it (PENDING). Same access as webhookDeliveries.",
  })
  async redeliverWebhook(
    @Ctx() ctx: RequestContext,
    @Arg("deliveryId", () => ID, { description: "The delivery's id." }) deliveryId: string,
  ): Promise<WebhookDelivery> {
    const d = await redeliverWebhook(ctx, deliveryId);
    return { ...d, status: d.status as WebhookDeliveryStatus };
  }
}
