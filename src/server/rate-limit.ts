import { GraphQLError } from "graphql";
import { HeaderMap } from "@apollo/server";
import type Redis from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Logger } from "../logger";
import type { Metrics } from "./metrics";

/** What one request's counting came to: its bucket's state (for the RateLimit-* headers), or nothing when the store failed. */
export interface RateLimitOutcome {
  allowed: boolean;
  result?: RateLimiterRes;
  /** Whose budget was counted: the authenticated user's or the client IP's (for the request log). */
  bucket: "user" | "ip";
}

/**
 * Requests per minute per authenticated identity (the API key's user) or, for requests without a
 * valid credential (none, unknown, expired, locked) and introspection, per client IP, with
 * rate-limiter-flexible: in Redis when REDIS_URL is set, so every instance shares the same counters
 * (an in-memory limiter decides while Redis is not ready or a command fails or times out; commands
 * are bounded in app.ts), else in this process's memory. The window is a fixed minute per bucket.
 *
 * Counting happens in the gate (plugins.ts), once per operation (each operation of a batch counts),
 * after the credential is known: a made-up key gets no bucket of its own, it spends its IP's.
 */
/**
 * The unit a per-IP budget counts: an IPv4 address, or an IPv6 address's /64 (one subscriber's
 * network: rotating addresses inside it does not buy a fresh budget).
 */
export function clientNetwork(ip: string | undefined): string {
  if (!ip) return "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (!ip.includes(":")) return ip;
  const [head, tail = ""] = ip.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

export class RateLimit {
  private readonly limiter: RateLimiterAbstract;

  /**
   * `scope` names the database the gateway serves: user ids are only unique within one, so every
   * instance on the same database shares its counters, and a Redis shared with another deployment
   * never mixes two databases' users.
   */
  constructor(
    readonly perMinute: number,
    redis: Redis | undefined,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    scope = "",
  ) {
    const options = { points: perMinute, duration: 60, keyPrefix: `gateway_rl${scope ? `:${scope}` : ""}` };
    if (redis) {
      this.limiter = new RateLimiterRedis({
        ...options,
        storeClient: redis,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(options),
      });
    } else {
      this.limiter = new RateLimiterMemory(options);
    }
  }

  static userBucket(userId: number): string {
    return `user:${userId}`;
  }

  /** The per-IP bucket of the public budget (no credential, or a booking token). */
  static publicBucket(ip: string | undefined): string {
    return `public:${clientNetwork(ip)}`;
  }

  static ipBucket(ip: string | undefined): string {
    return `ip:${clientNetwork(ip)}`;
  }

  /** Counts one request against `bucket`. A store failure lets the request through rather than fail it. */
  async consume(bucket: string): Promise<RateLimitOutcome> {
    const kind = bucket.startsWith("user:") ? "user" : "ip";
    try {
      return { allowed: true, result: await this.limiter.consume(bucket), bucket: kind };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        this.metrics.rateLimited.inc();
        return { allowed: false, result: rejection, bucket: kind };
      }
      this.logger.warn("rate limiter unavailable", { error: (rejection as Error)?.message });
      return { allowed: true, bucket: kind };
    }
  }

  /** The outcome of a bucket that is already spent (without counting), or undefined while it has requests left. */
  async spent(bucket: string): Promise<RateLimitOutcome | undefined> {
    try {
      const state = await this.limiter.get(bucket);
      return state && state.consumedPoints >= this.perMinute ? { allowed: false, result: state, bucket: "ip" } : undefined;
    } catch {
      return undefined;
    }
  }

  /** `RateLimit-Limit`, `-Remaining`, `-Reset` (and `Retry-After` when refused) for an outcome. */
  headers(outcome: RateLimitOutcome): Array<[string, string]> {
    const result = outcome.result;
    if (!result) return [];
    const reset = Math.max(0, Math.ceil(result.msBeforeNext / 1000));
    const headers: Array<[string, string]> = [
      ["ratelimit-limit", String(this.perMinute)],
      ["ratelimit-remaining", String(Math.max(0, this.perMinute - result.consumedPoints))],
      ["ratelimit-reset", String(reset)],
    ];
    if (!outcome.allowed) headers.push(["retry-after", String(Math.max(1, reset))]);
    return headers;
  }

  /** The RATE_LIMITED error (HTTP 429 with Retry-After and the RateLimit headers) for a refused outcome. */
  refusal(outcome: RateLimitOutcome): GraphQLError {
    const retryAfter = Math.max(1, Math.ceil((outcome.result?.msBeforeNext ?? 1000) / 1000));
    return new GraphQLError(`Rate limit of ${this.perMinute} requests per minute exceeded; retry in ${retryAfter} s.`, {
      extensions: { code: "RATE_LIMITED", retryAfter, http: { status: 429, headers: new HeaderMap(this.headers(outcome)) } },
    });
  }
}
