import { createHash } from "node:crypto";

/** RFC 4122 URL namespace (the one Cal.com passes to uuidv5). */
export const UUID_URL_NAMESPACE = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";

/** RFC 4122 version-5 (SHA-1, name-based) UUID. */
export function uuidv5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Cal.com's slot key for an ACCEPTED booking: `uuidv5("<startMillis>.<endMillis>.<organizerId>", URL)`.
 * Stored in the unique `"Booking"."idempotencyKey"`; cleared when the booking stops holding the slot.
 */
export function bookingSlotKey(start: Date, end: Date, organizerId: number): string {
  return uuidv5(`${start.getTime()}.${end.getTime()}.${organizerId}`, UUID_URL_NAMESPACE);
}
