import { Kind, parse, type OperationDefinitionNode } from "graphql";
import { bearerToken } from "../auth/api-key";
import { loadConfig } from "../config";
import { isIntrospectionOnly } from "./plugins";

const only = (query: string) => {
  const doc = parse(query);
  return isIntrospectionOnly(doc, doc.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode);
};

describe("isIntrospectionOnly", () => {
  it.each([
    ["{ __schema { types { name } } }", true],
    ["{ __typename }", true],
    ['query { ...F } fragment F on Query { __type(name: "X") { name } }', true],
    ["{ ... on Query { __schema { queryType { name } } } }", true],
    ["{ __typename me { id } }", false],
    ["query { ...F } fragment F on Query { me { id } }", false],
    ["{ bookings { totalCount } }", false],
  ])("%s → %s", (query, expected) => {
    expect(only(query)).toBe(expected);
  });
});

describe("bearerToken", () => {
  it("reads only a Bearer header", () => {
    expect(bearerToken("Bearer cal_abc")).toBe("cal_abc");
    expect(bearerToken("bearer   cal_abc ")).toBe("cal_abc");
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken("Basic Zm9v")).toBe("");
  });
});

describe("loadConfig", () => {
  it("has documented defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      dbMigrations: "run",
      nodeEnv: "development",
      introspection: true,
      sandbox: true,
      logLevel: "info",
    });
    expect(config.databaseUrl).toBeUndefined();
  });
  it("turns introspection and Sandbox off in production unless asked", () => {
    expect(loadConfig({ NODE_ENV: "production" })).toMatchObject({ introspection: false, sandbox: false });
    expect(loadConfig({ NODE_ENV: "production", INTROSPECTION: "true" }).introspection).toBe(true);
  });
  it("refuses values it cannot understand", () => {
    expect(() => loadConfig({ PORT: "http" })).toThrow("PORT must be an integer");
    expect(() => loadConfig({ LOG_LEVEL: "loud" })).toThrow("LOG_LEVEL must be one of");
  });
});
