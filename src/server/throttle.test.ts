import { Throttle } from "./throttle";

describe("Throttle", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("runs a lone call at once, and the calls of a burst once when the interval ends", () => {
    const runs: number[] = [];
    const t = new Throttle(25, () => runs.push(Date.now()));
    const start = Date.now();
    t.call();
    expect(runs).toEqual([start]); // not held back
    jest.advanceTimersByTime(5);
    t.call();
    t.call();
    jest.advanceTimersByTime(10);
    t.call();
    expect(runs).toHaveLength(1);
    jest.advanceTimersByTime(10); // 25 ms after the first run
    expect(runs).toEqual([start, start + 25]); // one run for the three calls
    jest.advanceTimersByTime(100);
    expect(runs).toHaveLength(2); // nothing more without calls
    t.call();
    expect(runs).toEqual([start, start + 25, start + 125]); // quiet for longer than the interval: at once again
  });

  it("spaces the runs of a steady stream of calls by the interval", () => {
    let runs = 0;
    const t = new Throttle(25, () => (runs += 1));
    for (let ms = 0; ms < 1_000; ms += 1) {
      t.call();
      jest.advanceTimersByTime(1);
    }
    expect(runs).toBe(41); // 1,000 calls over 1 s: runs at 0, 25, …, 1,000 ms (the last for the calls after 975)
  });

  it("cancel drops a run that is due", () => {
    let runs = 0;
    const t = new Throttle(25, () => (runs += 1));
    t.call();
    t.call();
    t.cancel();
    jest.advanceTimersByTime(100);
    expect(runs).toBe(1);
  });
});
