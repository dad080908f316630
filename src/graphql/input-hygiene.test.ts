import { buildSchema, type GraphQLResolveInfo } from "graphql";
import { DomainError } from "../domain/errors";
import { containsDirtyText, isCleanText, validateInputHygiene } from "./input-hygiene";

const NUL = "\u0000";
const LONE_HIGH = "\uD83D";
const LONE_LOW = "\uDE00";
const PAIR = "\uD83D\uDE00"; // 😀

describe("isCleanText", () => {
  it.each(["", "plain", "Zoë, 東京, مرحبا", `smile ${PAIR}`, PAIR.repeat(3), "\t\n\r\u001f"])("accepts %j", (text) => {
    expect(isCleanText(text)).toBe(true);
  });
  it.each([NUL, `a${NUL}b`, LONE_HIGH, LONE_LOW, `x${LONE_HIGH}`, `${LONE_LOW}x`, `${LONE_HIGH}${LONE_HIGH}\uDE00`, `\uDE00\uD83D`])(
    "refuses %j",
    (text) => {
      expect(isCleanText(text)).toBe(false);
    },
  );
});

describe("containsDirtyText", () => {
  it("looks into lists, objects (keys too) and any depth, and skips non-text", () => {
    expect(containsDirtyText({ a: ["x", { b: 1, c: new Date(0), d: null, e: true }] })).toBe(false);
    expect(containsDirtyText({ a: ["x", { b: `y${NUL}` }] })).toBe(true);
    expect(containsDirtyText({ [`k${LONE_LOW}`]: "v" })).toBe(true);
    let deep: unknown = `bottom${NUL}`;
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(containsDirtyText(deep)).toBe(true);
    expect(containsDirtyText(5)).toBe(false);
    expect(containsDirtyText(undefined)).toBe(false);
  });
});

describe("validateInputHygiene", () => {
  const schema = buildSchema(`
    scalar JSON
    input LocationInput { value: String! optionValue: String }
    input ResponsesInput { name: String! guests: [String!] location: LocationInput }
    input CreateInput { title: String responses: ResponsesInput! metadata: JSON }
    input Filter { attendeeEmail: String status: [String!] }
    type Query {
      create(input: CreateInput!): String
      cancel(id: Int!, reason: String, note: String): String
      list(filter: Filter, after: String): String
    }
  `);
  /** How type-graphql hands an input object over: rebuilt as an instance of its class. */
  class Instance {}
  const asInstance = (value: Record<string, unknown>) => Object.assign(new Instance(), value);

  /** The field named by the BAD_USER_INPUT, or undefined when the argument passes. */
  function fieldFor(fieldName: string, args: Record<string, unknown>, argValue: unknown): string | undefined {
    const info = { parentType: schema.getQueryType()!, fieldName } as unknown as GraphQLResolveInfo;
    try {
      validateInputHygiene(argValue, String, { root: undefined, args, context: {}, info });
      return undefined;
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe("BAD_USER_INPUT");
      expect((err as DomainError).message).not.toContain(NUL);
      return (err as DomainError).details.field;
    }
  }

  const input = (extra: Record<string, unknown> = {}, responses: Record<string, unknown> = {}) => ({
    title: "Call",
    responses: { name: "Bea", guests: ["a@example.test"], ...responses },
    metadata: { source: "crm" },
    ...extra,
  });
  const createField = (value: ReturnType<typeof input>) =>
    fieldFor("create", { input: value }, asInstance({ ...value, responses: asInstance(value.responses) }));

  it("lets clean input through, emoji and all", () => {
    expect(createField(input({ title: `Launch ${PAIR}` }))).toBeUndefined();
    expect(fieldFor("cancel", { id: 1, reason: "ok" }, 1)).toBeUndefined();
    expect(fieldFor("cancel", { id: 1, reason: "ok" }, "ok")).toBeUndefined();
    expect(fieldFor("list", {}, undefined)).toBeUndefined();
  });

  it("names the path inside `input`, as the create rules do", () => {
    expect(createField(input({}, { name: `Bea${NUL}` }))).toBe("responses.name");
    expect(createField(input({ title: `x${LONE_HIGH}` }))).toBe("title");
    expect(createField(input({}, { guests: ["a@example.test", `b${NUL}@example.test`] }))).toBe("responses.guests");
    expect(createField(input({}, { location: { value: "phone", optionValue: `+1${LONE_LOW}` } }))).toBe("responses.location.optionValue");
    expect(createField(input({ metadata: { nested: { deep: [`v${NUL}`] } } }))).toBe("metadata");
    expect(createField(input({ metadata: { [`k${NUL}`]: "v" } }))).toBe("metadata");
  });

  it("names other arguments, with the path inside input objects", () => {
    expect(fieldFor("cancel", { id: 1, reason: `r${NUL}` }, `r${NUL}`)).toBe("reason");
    // Two arguments with the same clean value do not confuse the lookup.
    expect(fieldFor("cancel", { id: 1, reason: "same", note: `n${LONE_HIGH}` }, `n${LONE_HIGH}`)).toBe("note");
    expect(fieldFor("list", { after: `c${NUL}` }, `c${NUL}`)).toBe("after");
    const filter = { attendeeEmail: `x${NUL}@example.test`, status: ["ACCEPTED"] };
    expect(fieldFor("list", { filter, after: "c" }, asInstance(filter))).toBe("filter.attendeeEmail");
  });
});
