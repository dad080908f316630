import { BookingOrderField, encodeCursor, OrderDirection } from "../src/domain/booking/booking-order";

/** The cursor of a row in the default order (START_TIME ASC), as bookingsConnection issues it. */
export function lastPageCursor(row: { id: number; value: Date }): string {
  return encodeCursor({ field: BookingOrderField.START_TIME, direction: OrderDirection.ASC, value: row.value, id: row.id });
}
