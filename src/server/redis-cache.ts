import type { KeyValueCache, KeyValueCacheSetOptions } from "@apollo/utils.keyvaluecache";
import type Redis from "ioredis";
import type { Logger } from "../logger";

/**
 * Apollo's key-value cache on Redis (the automatic-persisted-query store when REDIS_URL is set), so
 * a query registered through one instance is known to all. A Redis failure reads as a cache miss.
 */
export class RedisKeyValueCache implements KeyValueCache<string> {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly prefix = "gateway_apq:",
  ) {}

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.redis.get(this.prefix + key)) ?? undefined;
    } catch (err) {
      this.logger.warn("redis cache read failed", { error: (err as Error).message });
      return undefined;
    }
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    try {
      if (options?.ttl) await this.redis.set(this.prefix + key, value, "EX", Math.ceil(options.ttl));
      else await this.redis.set(this.prefix + key, value);
    } catch (err) {
      this.logger.warn("redis cache write failed", { error: (err as Error).message });
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      return (await this.redis.del(this.prefix + key)) > 0;
    } catch {
      return false;
    }
  }
}
