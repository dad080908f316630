import { getIntrospectionQuery } from "graphql";
import { createViewer } from "./support/factories";
import { createTestDatabase, dropTestDatabase, startTestGateway, type GqlResponse, type TestGateway } from "./support/harness";

/** Operation limits (depth, aliases, cost), enforced before anything runs, and what the defaults allow. */
describe("operation limits", () => {
  let name: string;
  let gw: TestGateway;
  let tight: TestGateway;
  let key: string;

  beforeAll(async () => {
    name = await createTestDatabase();
    gw = await startTestGateway({ databaseName: name });
    tight = await startTestGateway({ databaseName: name, env: { MAX_QUERY_COST: "100", MAX_QUERY_DEPTH: "4", MAX_ALIASES: "2" } });
    key = (await createViewer(gw.dataSource)).key;
  });
  afterAll(async () => {
    await gw.close();
    await tight.close();
    await dropTestDatabase(name);
  });

  const expectTooComplex = (res: GqlResponse, pattern: RegExp) => {
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0].extensions?.code).toBe("QUERY_TOO_COMPLEX");
    expect(res.body.errors?.[0].message).toMatch(pattern);
    // Rejected before any SQL (the key lookup included: these use an unknown key).
    expect(res.headers.get("x-sql-statements")).toBe("0");
  };
  const unknownKey = "cal_0123456789abcdef0123456789abcdef";

  it("rejects a depth of 20 with the default limit", async () => {
    let typeRef = "name";
    for (let i = 0; i < 16; i += 1) typeRef = `ofType { ${typeRef} }`;
    const depth20 = `{ __schema { types { fields { type { ${typeRef} } } } } }`;
    expectTooComplex(await gw.gql(depth20, {}, unknownKey), /nested 2\d levels deep; the limit is 15/);
  });

  it("rejects 500 aliases and allows 10", async () => {
    const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(" ")} }`;
    expectTooComplex(await gw.gql(aliased(500), {}, unknownKey), /500 aliases; the limit is 30/);
    const ten = await gw.gql(aliased(10), {}, key);
    expect(ten.status).toBe(200);
    expect(Object.keys(ten.body.data!)).toHaveLength(10);
  });

  it("lets the standard introspection query through (Sandbox)", async () => {
    const res = await gw.gql(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, inputValueDeprecation: true }));
    expect(res.status).toBe(200);
    expect(res.body.data!.__schema.queryType.name).toBe("Query");
  });

  it("costs list fields by page size, nested lists multiplied, unpaged bookings as MAX_UNPAGED_BOOKINGS", async () => {
    // MAX_QUERY_COST 100: 5 bookings with ids cost 5 × 2 = 10; 50 with attendees 50 × (1 + 1 × (1 + 10)) = 600.
    expect((await tight.gql(`{ bookings(take: 5) { nodes { id } } }`, {}, key)).status).toBe(200);
    expectTooComplex(
      await tight.gql(`{ bookings(take: 50) { nodes { attendees { id } } } }`, {}, unknownKey),
      /about 600 objects; the limit is 100/,
    );
    expectTooComplex(await tight.gql(`query($t: Int) { bookings(take: $t) { nodes { id } } }`, { t: 60 }, unknownKey), /about 120 objects/);
    // Unpaged: as many as it may return (MAX_UNPAGED_BOOKINGS, default 1,000) × 2.
    expectTooComplex(await tight.gql(`{ bookings { nodes { id } } }`, {}, unknownKey), /about 2000 objects/);
    expectTooComplex(
      await tight.gql(`{ bookingsConnection(first: 40) { edges { node { id } } } }`, {}, unknownKey),
      /about 120 objects; the limit is 100/,
    );
  });

  it("applies configured depth and alias limits", async () => {
    expectTooComplex(
      await tight.gql(`{ bookings(take: 1) { nodes { eventType { owner { id } } } } }`, {}, unknownKey),
      /nested 5 levels deep; the limit is 4/,
    );
    expectTooComplex(await tight.gql(`{ a: me { id } b: me { id } c: me { id } }`, {}, unknownKey), /3 aliases; the limit is 2/);
  });

  it("leaves room for normal development use: 20 parallel requests from one key", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        gw.gql(`{ me { id } bookings(take: 50) { totalCount nodes { id attendees { email } user { id } } } }`, {}, key),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
  });
});
