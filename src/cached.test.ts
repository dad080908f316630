import { createHook } from "node:async_hooks";
import { LruMap, ttlCache } from "./cached";

/** The bounded map behind the plan, statement and compiled-operation caches. */
describe("LruMap", () => {
  it("keeps at most max entries, dropping the oldest first", () => {
    const m = new LruMap<number, string>(4);
    for (let i = 0; i < 10; i += 1) m.set(i, `v${i}`);
    expect(m.size).toBe(4);
    expect([0, 5, 6].map((k) => m.get(k))).toEqual([undefined, undefined, "v6"]);
    expect(m.get(9)).toBe("v9");
  });

  it("never drops an entry used at least once per max / 2 insertions", () => {
    const m = new LruMap<string, number>(10);
    m.set("hot", 1);
    for (let i = 0; i < 1_000; i += 1) {
      m.set(`cold${i}`, i);
      if (i % 5 === 0) expect(m.get("hot")).toBe(1);
    }
    expect(m.size).toBe(10);
  });
});

describe("ttlCache", () => {
  it("forgets an entry after its time to live, and starts no timer to read the clock", async () => {
    const cache = ttlCache<string, number>(10, 60);
    cache.set("a", 1);
    const timers: string[] = [];
    const hook = createHook({ init: (_id, type) => void (type === "Timeout" && timers.push(type)) }).enable();
    try {
      for (let i = 0; i < 100; i++) expect(cache.get("a")).toBe(1);
      expect(cache.has("b")).toBe(false);
    } finally {
      hook.disable();
    }
    expect(timers).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(cache.get("a")).toBeUndefined();
  });
});
