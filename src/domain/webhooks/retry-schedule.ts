/**
 * When a failed attempt is tried again (contract: WEBHOOK_RETRY_BASE_MS): attempt n + 1 waits
 * base × 2^(n−1) after attempt n failed, plus up to 20% more at random so that receivers coming back
 * from an outage are not hit by every delivery at once.
 */
export function retryDelayMs(failedAttempt: number, baseMs: number, random = Math.random()): number {
  const plain = baseMs * 2 ** Math.max(0, failedAttempt - 1);
  return Math.round(plain * (1 + 0.2 * random));
}
