import { v5 as uuidv5 } from "uuid";

/**
 * Cal.com's slot key for an ACCEPTED booking, as Cal.com computes it with the same `uuid` package:
 * `uuidv5("<startMillis>.<endMillis>.<organizerId>", uuidv5.URL)`. Stored in the unique
 * `"Booking"."idempotencyKey"`; cleared when the booking stops holding the slot.
 */
export function bookingSlotKey(start: Date, end: Date, organizerId: number): string {
  return uuidv5(`${start.valueOf()}.${end.valueOf()}.${organizerId}`, uuidv5.URL);
}
