import { performance } from "node:perf_hooks";

/**
 * How many new traces a second may be recorded (tracing.ts, production's default sampling): a token
 * bucket of `perSecond` tokens, refilled continuously at `perSecond` a second. A quiet gateway may
 * record `perSecond` traces at once; a busy one records `perSecond` a second however many requests
 * it answers, so what recording costs (about 0.2–0.3 ms of CPU a trace, README, Operating: Tracing)
 * stays a fixed amount a second instead of growing with the load. 0 records none.
 */
export class TraceBudget {
  private tokens: number;
  private last: number;

  constructor(
    readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = perSecond;
    this.last = now();
  }

  /** Takes one trace from the budget: true when one was left. */
  take(): boolean {
    if (this.perSecond <= 0) return false;
    const now = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) * this.perSecond) / 1_000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
