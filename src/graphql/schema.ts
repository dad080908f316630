import "reflect-metadata";
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from "graphql";
import { buildSchemaSync } from "type-graphql";
import { BookingPageResolver, BookingResolver, EventTypeResolver, ViewerResolver } from "./booking.resolver";
import { DateTimeScalar } from "./scalars";

let built: GraphQLSchema | undefined;

/** The gateway's GraphQL schema (built once per process; resolvers are stateless singletons). */
export function gatewaySchema(): GraphQLSchema {
  built ??= buildSchemaSync({
    resolvers: [BookingResolver, BookingPageResolver, EventTypeResolver, ViewerResolver],
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: true,
  });
  return built;
}

/** The SDL checked in as `schema.graphql` (sorted, so the file diffs cleanly). */
export function printGatewaySchema(): string {
  return printSchema(lexicographicSortSchema(gatewaySchema())) + "\n";
}
