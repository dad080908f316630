import { TraceBudget } from "../src/trace-budget";

describe("TraceBudget (production's traces a second)", () => {
  /** A budget on a clock the test moves (ms). */
  const onClock = (perSecond: number) => {
    const clock = { now: 1_000 };
    return { clock, budget: new TraceBudget(perSecond, () => clock.now) };
  };
  const takes = (budget: TraceBudget, n: number) => Array.from({ length: n }, () => budget.take()).filter(Boolean).length;

  it("gives a quiet gateway its whole second at once, then nothing until time passes", () => {
    const { budget } = onClock(10);
    expect(takes(budget, 25)).toBe(10);
    expect(budget.take()).toBe(false);
  });

  it("refills at its rate, never above one second's worth", () => {
    const { clock, budget } = onClock(10);
    takes(budget, 10);
    clock.now += 250; // a quarter of a second: 2.5 traces
    expect(takes(budget, 5)).toBe(2);
    clock.now += 50; // the half left over and half of another: one more
    expect(takes(budget, 5)).toBe(1);
    clock.now += 60_000; // a quiet minute still holds one second's worth
    expect(takes(budget, 100)).toBe(10);
  });

  it("over a busy minute, records perSecond a second however many requests come", () => {
    const { clock, budget } = onClock(10);
    let recorded = 0;
    for (let ms = 0; ms < 60_000; ms += 1) {
      clock.now += 1;
      recorded += takes(budget, 4); // 4,000 requests a second
    }
    expect(recorded).toBeGreaterThanOrEqual(600);
    expect(recorded).toBeLessThanOrEqual(610); // the first second's full bucket, then 10 a second
  });

  it("with 0 records nothing", () => {
    const { clock, budget } = onClock(0);
    clock.now += 10_000;
    expect(takes(budget, 10)).toBe(0);
  });
});
