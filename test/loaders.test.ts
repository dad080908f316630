import { createLoaders, type Loaders } from "../src/loaders";
import { createBooking, createUser } from "./support/factories";
import { startTestGateway, type TestGateway } from "./support/harness";

/** DataLoader batches: N concurrent loads, one statement, results in key order with misses as null / []. */
describe("loaders", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  /** Loaders counting their statements, and `fn` run with them. */
  const counted = async <T>(fn: (loaders: Loaders) => Promise<T>) => {
    const store = { sqlStatements: 0 };
    const result = await fn(createLoaders(gw.dataSource, store));
    return { result, statements: store.sqlStatements };
  };

  it("loads N users in one statement, in key order, null for a missing id", async () => {
    const users = await Promise.all([1, 2, 3, 4, 5].map(() => createUser(gw.dataSource)));
    const keys = [users[3].id, 999_999, users[0].id, users[4].id, users[3].id];
    const { result, statements } = await counted((loaders) => Promise.all(keys.map((id) => loaders.userById.load(id))));
    expect(statements).toBe(1);
    expect(result.map((u) => u?.id ?? null)).toEqual([users[3].id, null, users[0].id, users[4].id, users[3].id]);
  });

  it("groups one-to-many rows by key with an empty list for a key without rows", async () => {
    const a = await createBooking(gw.dataSource, { attendees: [{ email: "a1@x.test" }, { email: "a2@x.test" }] });
    const b = await createBooking(gw.dataSource, { attendees: [] });
    const c = await createBooking(gw.dataSource, { attendees: [{ email: "c1@x.test" }] });
    const { result, statements } = await counted((loaders) =>
      Promise.all([c.id, b.id, a.id].map((id) => loaders.attendeesByBookingId.load(id))),
    );
    expect(statements).toBe(1);
    expect(result.map((rows) => rows.map((r) => r.email))).toEqual([["c1@x.test"], [], ["a1@x.test", "a2@x.test"]]);
  });

  it("issues no statement until a loader loads, then one per batch", async () => {
    const user = await createUser(gw.dataSource);
    const store = { sqlStatements: 0 };
    const loaders = createLoaders(gw.dataSource, store);
    const loader = loaders.userById; // made on first use, without any SQL
    loader.prime(user.id, user);
    expect(await loader.load(user.id)).toBe(user); // answered from the primed value
    expect(store.sqlStatements).toBe(0);
    await Promise.all([loader.load(999_998), loader.load(999_999)]);
    expect(store.sqlStatements).toBe(1);
  });
});
