import type { Range } from "./ranges";
import { offsetMinutes } from "./time-zone";

/**
 * The slot grid (domain.md "Availability" → Slots): the step is the event type's `slotInterval`,
 * else the chosen duration. Each free range is cut to start no earlier than the lower bound; its first
 * slot starts at that cut start rounded up to the grid, then one every step while start + duration
 * fits the range. The grid: minutes of the hour that are multiples of the first of 60, 30, 20, 15,
 * 10, 5 that divides the step (else every minute), counted in the requested zone (Asia/Kolkata's
 * half-hour offset gets its own grid).
 */

const MINUTE = 60_000;

/** Minutes between grid points for a step. */
export function gridMinutes(step: number): number {
  return [60, 30, 20, 15, 10, 5].find((g) => step % g === 0) ?? 1;
}

/** The first grid point at or after the instant, in the zone. */
export function roundUpToGrid(ms: number, grid: number, zone: string): number {
  const offset = offsetMinutes(zone, ms) * MINUTE;
  const unit = grid * MINUTE;
  return Math.ceil((ms + offset) / unit) * unit - offset;
}

/** Slot starts in the free ranges: on the grid, not before `lowerBound`, before `to`, each with room for `duration`. */
export function slotStarts(
  ranges: readonly Range[],
  options: { duration: number; step: number; lowerBound: number; to: number; zone: string },
): number[] {
  const grid = gridMinutes(options.step);
  const duration = options.duration * MINUTE;
  const step = options.step * MINUTE;
  const starts: number[] = [];
  for (const range of ranges) {
    if (range.end <= options.lowerBound) continue;
    if (range.start >= options.to) break;
    for (
      let s = roundUpToGrid(Math.max(range.start, options.lowerBound), grid, options.zone);
      s + duration <= range.end && s < options.to;
      s += step
    ) {
      starts.push(s);
    }
  }
  return starts;
}
