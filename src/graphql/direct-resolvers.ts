import { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import { getMetadataStorage } from "type-graphql";

/**
 * type-graphql calls every `@FieldResolver` method through a generic wrapper that, on each call,
 * sorts the method's parameter list, maps it to an argument array and converts the root object.
 * A page of 50 bookings with four relations makes 200 such calls; in-process that wrapper was about
 * a sixth of the CPU time of such a page.
 *
 * Field resolvers whose parameters are only `@Root()`, `@Ctx()` and `@Info()` (whole objects, no
 * property picked) and that carry no middlewares or roles are rewired here to call their method
 * directly, on one instance per resolver class (the resolver classes are stateless, as type-graphql's
 * default container assumes too). The root is passed as it is: these methods only read its
 * properties. Anything else keeps type-graphql's wrapper. The schema must be built without global
 * middlewares or an auth checker (the gateway's is), which this does not see.
 *
 * Returns the rewired fields as `Type.field`.
 */
export function callFieldResolversDirectly(schema: GraphQLSchema, resolverClasses: Function[]): string[] {
  const storage = getMetadataStorage();
  const instances = new Map<Function, Record<string, (...args: unknown[]) => unknown>>();
  const rewired: string[] = [];
  for (const metadata of storage.fieldResolvers) {
    if (metadata.kind !== "external" || !resolverClasses.includes(metadata.target)) continue;
    // Any roles (even `@Authorized()` without roles) mean an auth check: keep type-graphql's wrapper.
    if (metadata.middlewares?.length || metadata.roles !== undefined || !metadata.getObjectType) continue;
    const params = [...(metadata.params ?? [])].sort((a, b) => a.index - b.index);
    const kinds = params.map((p) =>
      (p.kind === "root" || p.kind === "context") && !p.propertyName ? p.kind : p.kind === "info" ? "info" : undefined,
    );
    if (kinds.some((kind) => kind === undefined) || params.some((p, i) => p.index !== i)) continue;
    const typeName = storage.objectTypes.find((o) => o.target === metadata.getObjectType!())?.name;
    const type = typeName ? schema.getType(typeName) : undefined;
    const field = isObjectType(type) ? type.getFields()[metadata.schemaName] : undefined;
    if (!field) continue;
    let instance = instances.get(metadata.target);
    if (!instance) {
      instance = new (metadata.target as new () => Record<string, (...args: unknown[]) => unknown>)();
      instances.set(metadata.target, instance);
    }
    field.resolve = directResolver(instance, metadata.methodName, kinds as Array<"root" | "context" | "info">);
    rewired.push(`${typeName}.${field.name}`);
  }
  return rewired;
}

function directResolver(
  instance: Record<string, (...args: unknown[]) => unknown>,
  methodName: string,
  kinds: Array<"root" | "context" | "info">,
): GraphQLFieldResolver<unknown, unknown> {
  const method = instance[methodName];
  // The common shape (root, context) gets a resolver without an argument array.
  if (kinds.length === 2 && kinds[0] === "root" && kinds[1] === "context") {
    return (root, _args, context) => method.call(instance, root, context);
  }
  return (root, _args, context, info) =>
    method.apply(
      instance,
      kinds.map((kind) => (kind === "root" ? root : kind === "context" ? context : info)),
    );
}
