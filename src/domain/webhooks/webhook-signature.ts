import { createHmac } from "node:crypto";

/**
 * The two signatures a webhook request carries (contract "Booking events", webhooks):
 * - `X-Cal-Signature-256`: Cal.com's, the lower-case hex HMAC-SHA256 of the raw body keyed with the
 *   webhook's secret; a webhook without a secret gets the literal `no-secret-provided` as the header's
 *   value, as Cal.com sends it (its sendPayload.ts), so receivers written for Cal.com work unchanged;
 * - Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`): `v1,` + base64
 *   HMAC-SHA256 of `<id>.<timestamp>.<body>` keyed with the secret's UTF-8 bytes, only when the
 *   webhook has a secret. The timestamp is inside what is signed, so a receiver can refuse replays.
 */

const NO_SECRET = "no-secret-provided";

export function calSignature(body: string, secret: string | null): string {
  return secret ? createHmac("sha256", secret).update(body, "utf8").digest("hex") : NO_SECRET;
}

export function standardWebhookSignature(id: string, timestampSeconds: number, body: string, secret: string): string {
  return "v1," + createHmac("sha256", Buffer.from(secret, "utf8")).update(`${id}.${timestampSeconds}.${body}`, "utf8").digest("base64");
}

/** The headers of one attempt. */
export function webhookHeaders(deliveryId: string, body: string, secret: string | null, now = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-cal-signature-256": calSignature(body, secret),
    "webhook-id": deliveryId,
    "webhook-timestamp": String(timestamp),
  };
  if (secret) headers["webhook-signature"] = standardWebhookSignature(deliveryId, timestamp, body, secret);
  return headers;
}
