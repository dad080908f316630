/**
 * Runs `run` at most once per `intervalMs`: at once when it last ran at least that long ago,
 * otherwise once when the interval ends, for every call made in between. Unlike a fixed delay, a
 * lone call is not held back; under a burst the runs are spaced by the interval.
 */
export class Throttle {
  private last = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly run: () => void,
  ) {}

  call(): void {
    if (this.timer) return; // a run is due: this call shares it
    const wait = this.last + this.intervalMs - Date.now();
    if (wait <= 0) {
      this.fire();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, wait);
    this.timer.unref();
  }

  /** Drops a run that is due (on shutdown). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    this.last = Date.now();
    this.run();
  }
}
