import { createHash } from "node:crypto";
import { createApiKey, createUser, createViewer } from "./support/factories";
import { onlyError, startTestGateway, type GqlResponse, type TestGateway } from "./support/harness";
import type { AnyJson } from "./support/json";
import { hashApiKey } from "../src/auth/api-key";

/** Bearer API keys, hashed as Cal.com hashes them; every failure is coded. */
describe("authentication", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  const post = (headers: Record<string, string>, query = "{ me { id } }", path = "/graphql") =>
    fetch(`${gw.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ query }),
    });

  it("hashes keys like Cal.com: sha256 hex of the part after cal_", () => {
    // sha256("abc") — a known vector.
    expect(hashApiKey("cal_abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("accepts a key stored by Cal.com (hash of the part after the prefix) and answers as its owner", async () => {
    const { user, key } = await createViewer(gw.dataSource);
    const [{ hashedKey }] = await gw.dataSource.query(`SELECT "hashedKey" FROM "ApiKey" WHERE "userId" = $1`, [user.id]);
    expect(hashedKey).toBe(createHash("sha256").update(key.slice(4)).digest("hex"));
    const res = await gw.gql(`{ me { id email } }`, {}, key);
    expect(res.body).toEqual({ data: { me: { id: user.id, email: user.email } } });
  });

  it.each([
    ["no Authorization header", {}],
    ["an unknown key", { authorization: "Bearer cal_00000000000000000000000000000000" }],
    ["a malformed header", { authorization: "Token abc" }],
    ["an empty bearer", { authorization: "Bearer " }],
  ])("refuses %s with UNAUTHENTICATED and HTTP 401", async (_label, headers) => {
    const res = await post(headers);
    expect(res.status).toBe(401);
    const body: AnyJson = await res.json();
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions).toEqual({ code: "UNAUTHENTICATED" });
    expect(body.data).toBeUndefined();
  });

  it("refuses an expired key with 401 and accepts one expiring in the future", async () => {
    const user = await createUser(gw.dataSource);
    const expired = await createApiKey(gw.dataSource, user, new Date(Date.now() - 1000));
    const res = await gw.gql(`{ me { id } }`, {}, expired);
    expect(res.status).toBe(401);
    expect(onlyError(res).extensions).toEqual({ code: "UNAUTHENTICATED" });
    const valid = await createApiKey(gw.dataSource, user, new Date(Date.now() + 3_600_000));
    expect((await gw.gql(`{ me { id } }`, {}, valid)).body.data).toEqual({ me: { id: user.id } });
  });

  it("refuses a locked user's key with FORBIDDEN", async () => {
    const { key } = await createViewer(gw.dataSource, { locked: true });
    const res = await gw.gql(`{ bookings { totalCount } }`, {}, key);
    expect(res.status).toBe(200);
    expect(onlyError(res).extensions).toEqual({ code: "FORBIDDEN" });
    expect(res.body.data).toBeUndefined();
  });

  it("never reads the key from the URL", async () => {
    const { key } = await createViewer(gw.dataSource);
    const res = await post({}, "{ me { id } }", `/graphql?apiKey=${key}`);
    expect(res.status).toBe(401);
  });

  it("serves introspection without a key (Sandbox loads the schema)", async () => {
    const res = await post({}, "{ __schema { queryType { name } } }");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
    const viaFragment = await post({}, 'query { ...F } fragment F on Query { __typename __type(name: "Booking") { name } }');
    expect(((await viaFragment.json()) as GqlResponse["body"]).data).toEqual({ __typename: "Query", __type: { name: "Booking" } });
  });

  it("does not let introspection smuggle a data field past authentication", async () => {
    const res = await post({}, "{ __typename me { id } }");
    expect(res.status).toBe(401);
  });

  it("never writes the key into the request log", async () => {
    const { key } = await createViewer(gw.dataSource);
    await gw.gql(`query Who { me { id } }`, {}, key);
    await post({ authorization: `Bearer ${key}x` });
    const serialized = JSON.stringify(gw.logLines);
    expect(serialized).not.toContain(key);
    expect(serialized).not.toContain(key.slice(4));
    expect(serialized).not.toContain(hashApiKey(key));
  });
});
