import "reflect-metadata";
import { graphql, type GraphQLResolveInfo } from "graphql";
import { Arg, buildSchemaSync, Ctx, Field, FieldResolver, Info, Int, ObjectType, Query, Resolver, Root, UseMiddleware } from "type-graphql";
import { callFieldResolversDirectly } from "./direct-resolvers";

@ObjectType({ simpleResolvers: true })
class Thing {
  @Field(() => Int)
  id!: number;
}

const calls: string[] = [];

@Resolver(() => Thing)
class ThingResolver {
  private readonly factor = 10;

  @Query(() => [Thing])
  things(): Thing[] {
    return [{ id: 1 }, { id: 2 }];
  }

  @FieldResolver(() => Int)
  scaled(@Root() thing: Thing, @Ctx() ctx: { offset: number }): number {
    return thing.id * this.factor + ctx.offset;
  }

  @FieldResolver(() => String)
  described(@Info() info: GraphQLResolveInfo, @Root() thing: Thing): string {
    return `${info.fieldName}:${thing.id}`;
  }

  @FieldResolver(() => Int)
  plus(@Root() thing: Thing, @Arg("n", () => Int) n: number): number {
    return thing.id + n;
  }

  @FieldResolver(() => Int)
  @UseMiddleware(async (_data, next) => {
    calls.push("middleware");
    return next();
  })
  guarded(@Root() thing: Thing): number {
    return thing.id;
  }
}

describe("callFieldResolversDirectly", () => {
  // (No @Authorized field here: type-graphql's metadata is process-wide, and every later schema
  // build in the same test process would then demand an auth checker.)
  const schema = buildSchemaSync({ resolvers: [ThingResolver], validate: false });
  const rewired = callFieldResolversDirectly(schema, [ThingResolver]);

  it("rewires only field resolvers taking whole @Root/@Ctx/@Info, without middlewares", () => {
    expect(rewired.sort()).toEqual(["Thing.described", "Thing.scaled"]);
  });

  it("answers exactly as before, arguments and middlewares included", async () => {
    const result = await graphql({
      schema,
      source: "{ things { id scaled described plus(n: 5) guarded } }",
      contextValue: { offset: 3 },
    });
    expect(result).toEqual({
      data: {
        things: [
          { id: 1, scaled: 13, described: "described:1", plus: 6, guarded: 1 },
          { id: 2, scaled: 23, described: "described:2", plus: 7, guarded: 2 },
        ],
      },
    });
    expect(calls).toEqual(["middleware", "middleware"]);
  });
});
