/** The p-quantile (0 < p ≤ 1, nearest rank) of values sorted ascending, unrounded; 0 without any. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}
