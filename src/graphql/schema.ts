import "reflect-metadata";
import { printSchema, type GraphQLSchema } from "graphql";
import { buildSchemaSync, type PubSub } from "type-graphql";
import { BookingMutationResolver } from "./booking-mutation.resolver";
import { BookingConnectionResolver, BookingPageResolver, BookingResolver, ViewerResolver } from "./booking.resolver";
import { EventTypeResolver, HostResolver } from "./event-type.resolver";
import { BookingEventResolver, BookingEventSubscriptionResolver } from "./booking-event.resolver";
import { WebhookDeliveryResolver } from "./webhook-delivery.resolver";
import { validateInputHygiene } from "./input-hygiene";
import { DateTimeScalar } from "./scalars";
import { untraced } from "../tracing";

let built: GraphQLSchema | undefined;

const UNUSED_PUBSUB: PubSub = {
  publish() {
    throw new Error("No subscription publishes through type-graphql's PubSub.");
  },
  subscribe() {
    throw new Error("No subscription subscribes through type-graphql's PubSub.");
  },
};

/** The gateway's GraphQL schema (built once per process; resolvers are stateless singletons). */
export function gatewaySchema(): GraphQLSchema {
  if (!built) {
    const resolvers = [
      BookingResolver,
      BookingMutationResolver,
      BookingPageResolver,
      BookingConnectionResolver,
      EventTypeResolver,
      HostResolver,
      ViewerResolver,
      BookingEventResolver,
      BookingEventSubscriptionResolver,
      WebhookDeliveryResolver,
    ] as const;
    // Every argument of every resolver passes the one input-hygiene rule (input-hygiene.ts); the
    // rules on values live in the domain (domain/errors.ts's badInput names the field). No
    // class-validator: type-graphql calls this function instead.
    // Untraced: type-graphql checks the schema with an introspection query, which the graphql
    // instrumentation would record as traces of their own at every start.
    built = untraced(() =>
      buildSchemaSync({
        resolvers,
        scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
        validateFn: validateInputHygiene,
        // type-graphql insists on a PubSub for any @Subscription; every subscription here brings its own
        // `subscribe` (the booking-event stream), so this one is never called.
        pubSub: UNUSED_PUBSUB,
      }),
    );
    // type-graphql has no option for root-type descriptions.
    const query = built.getQueryType();
    if (query) query.description = "Reads. Every field needs an API key (Authorization: Bearer cal_…).";
    const mutation = built.getMutationType();
    if (mutation) mutation.description = "Writes: each mutation is one transaction; a failed one changes nothing.";
    const subscription = built.getSubscriptionType();
    if (subscription)
      subscription.description =
        "Live events over WebSocket (graphql-transport-ws) on /graphql; the API key in connectionParams.authorization or the Authorization header.";
  }
  return built;
}

/** The SDL checked in as `schema.graphql` (declaration order, which the code fixes). */
export function printGatewaySchema(): string {
  return printSchema(gatewaySchema()) + "\n";
}
