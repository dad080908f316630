import { createHash } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import type Redis from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { bearerToken } from "../auth/api-key";
import type { Logger } from "../logger";
import type { Metrics } from "./metrics";

/**
 * Requests per minute per API key (per client IP without one), with rate-limiter-flexible: in Redis
 * when REDIS_URL is set, so every instance shares the same counters (an in-memory limiter stands in
 * if Redis stops answering), else in this process's memory. The window is a fixed minute per key.
 * Every answer carries RateLimit-Limit / -Remaining / -Reset; a refusal is HTTP 429 with
 * Retry-After and `extensions.code = RATE_LIMITED`.
 */
export class RateLimit {
  private readonly limiter: RateLimiterAbstract;

  constructor(
    private readonly perMinute: number,
    redis: Redis | undefined,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    const options = { points: perMinute, duration: 60, keyPrefix: "gateway_rl" };
    if (redis) {
      // Redis commands are time-boxed (REDIS_COMMAND_TIMEOUT_MS, app.ts); while Redis is not ready
      // or a command fails or times out, the in-memory limiter decides.
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

  /** The bucket a request counts against: its API key (hashed) or, without one, its IP address. */
  static keyOf(req: Request): string {
    const token = bearerToken(req.header("authorization"));
    return token ? "key:" + createHash("sha256").update(token).digest("hex").slice(0, 32) : "ip:" + (req.ip ?? "unknown");
  }

  readonly middleware = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (req.method === "OPTIONS") return next();
    try {
      const result = await this.limiter.consume(RateLimit.keyOf(req));
      this.setHeaders(res, result);
      next();
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) {
        // The store failed and no insurance answered: let the request through rather than fail it.
        this.logger.warn("rate limiter unavailable", { error: (rejection as Error)?.message });
        return next();
      }
      this.metrics.rateLimited.inc();
      this.logger.info("graphql request", {
        requestId: res.getHeader("x-request-id") ?? null,
        status: 429,
        errorCodes: ["RATE_LIMITED"],
        rateLimitKey: RateLimit.keyOf(req).startsWith("ip:") ? "ip" : "api key",
      });
      this.setHeaders(res, rejection);
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      res.setHeader("Retry-After", String(retryAfter));
      res.status(429).json({
        errors: [
          {
            message: `Rate limit of ${this.perMinute} requests per minute exceeded; retry in ${retryAfter} s.`,
            extensions: { code: "RATE_LIMITED", retryAfter },
          },
        ],
      });
    }
  };

  private setHeaders(res: Response, result: RateLimiterRes): void {
    res.setHeader("RateLimit-Limit", String(this.perMinute));
    res.setHeader("RateLimit-Remaining", String(Math.max(0, result.remainingPoints)));
    res.setHeader("RateLimit-Reset", String(Math.max(0, Math.ceil(result.msBeforeNext / 1000))));
  }
}
