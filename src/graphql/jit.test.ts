import { buildSchema, parse, type DocumentNode } from "graphql";
import { compileQuery } from "graphql-jit";
import { jitExecutor, MAX_COMPILED_DOCUMENTS, MAX_COMPILED_OPERATIONS_PER_DOCUMENT } from "./jit";

jest.mock("graphql-jit", () => {
  const actual = jest.requireActual("graphql-jit");
  return { ...actual, compileQuery: jest.fn(actual.compileQuery) };
});
const compile = compileQuery as jest.MockedFunction<typeof compileQuery>;

/** When documents are compiled, and that the compiled cache is bounded. */
describe("jitExecutor", () => {
  const schema = buildSchema(`type Query { hello(n: Int): String }`);
  (schema.getQueryType()!.getFields().hello as { resolve?: unknown }).resolve = (_: unknown, args: { n?: number }) => `hi ${args.n ?? 0}`;

  async function executorOf() {
    const gateway = jitExecutor(schema);
    const { executor } = await gateway.load({ apollo: {} });
    return (document: DocumentNode, operationName: string | null = null) =>
      executor!({ document, operationName, request: { variables: {} }, context: {} } as never) as Promise<{ data?: unknown }>;
  }

  beforeEach(() => compile.mockClear());

  it("compiles a document the second time it runs it, then reuses the compiled operation", async () => {
    const run = await executorOf();
    const document = parse(`{ hello(n: 1) }`);
    expect(await run(document)).toEqual({ data: { hello: "hi 1" } });
    expect(compile).toHaveBeenCalledTimes(0);
    expect(await run(document)).toEqual({ data: { hello: "hi 1" } });
    expect(compile).toHaveBeenCalledTimes(1);
    expect(await run(document)).toEqual({ data: { hello: "hi 1" } });
    expect(compile).toHaveBeenCalledTimes(1);
  });

  it("keeps at most MAX_COMPILED_DOCUMENTS compiled documents (the least recently used is compiled again)", async () => {
    const run = await executorOf();
    const documents = Array.from({ length: MAX_COMPILED_DOCUMENTS + 1 }, (_, i) => parse(`{ hello(n: ${i}) }`));
    for (const document of documents) {
      await run(document);
      await run(document);
    }
    expect(compile).toHaveBeenCalledTimes(documents.length);
    await run(documents[documents.length - 1]); // still cached
    expect(compile).toHaveBeenCalledTimes(documents.length);
    await run(documents[0]); // evicted: compiled again
    expect(compile).toHaveBeenCalledTimes(documents.length + 1);
  });

  it("compiles at most MAX_COMPILED_OPERATIONS_PER_DOCUMENT operations of one document; the others still answer", async () => {
    const run = await executorOf();
    const count = MAX_COMPILED_OPERATIONS_PER_DOCUMENT + 3;
    const document = parse(Array.from({ length: count }, (_, i) => `query Q${i} { hello(n: ${i}) }`).join("\n"));
    for (let i = 0; i < count; i += 1) {
      await run(document, `Q${i}`);
      expect(await run(document, `Q${i}`)).toEqual({ data: { hello: `hi ${i}` } });
    }
    expect(compile).toHaveBeenCalledTimes(MAX_COMPILED_OPERATIONS_PER_DOCUMENT);
  });
});
