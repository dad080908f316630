import { LRUCache } from "lru-cache";

/** A Map or WeakMap. */
interface KeyedStore<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): unknown;
}

/** The value `store` holds for `key`, made by `make` and kept there the first time it is asked for. */
export function cached<K, V>(store: KeyedStore<K, V>, key: K, make: () => V): V {
  let value = store.get(key);
  if (value === undefined) store.set(key, (value = make()));
  return value;
}

/**
 * A Map that keeps at most `max` entries, dropping the least recently used first (approximately:
 * an entry is moved to the back on a hit only once at least `max / 2` others were inserted since it
 * last moved, so a hit is one Map lookup, not three: the keys of the hot caches are fresh strings of
 * kilobytes each request, and every lookup compares them in full; refreshing on every hit cost about
 * 10 µs a request, as lru-cache's bookkeeping did). An entry used at least once per `max / 2`
 * insertions is never dropped.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, { value: V; stamp: number }>();
  private inserted = 0;

  constructor(readonly max: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    if (this.inserted - entry.stamp >= this.max / 2) {
      this.map.delete(key);
      entry.stamp = this.inserted;
      this.map.set(key, entry);
    }
    return entry.value;
  }

  set(key: K, value: V): this {
    this.map.delete(key);
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value as K);
    this.map.set(key, { value, stamp: ++this.inserted });
    return this;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }
}

/**
 * An lru-cache of at most `max` entries that each expire `ttlMs` after they were set. Its clock is
 * read on each lookup (`ttlResolution: 0`): by default lru-cache keeps the time for a millisecond
 * and starts a timer to forget it, a timer for nearly every request on a busy gateway (the API key
 * is looked up on each), and with tracing on every timer also pays for the context's async hooks.
 */
export function ttlCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(max: number, ttlMs: number): LRUCache<K, V> {
  return new LRUCache<K, V>({ max, ttl: ttlMs, ttlResolution: 0 });
}
