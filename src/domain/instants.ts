/**
 * The instants the API takes and gives: 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z, the
 * years ISO-8601 writes with four digits and no sign. A year-10000 end was stored once and then broke
 * every cursor and round trip through it; year 0 and earlier mean nothing for a booking.
 */
export const FIRST_INSTANT_ISO = "0001-01-01T00:00:00.000Z";
export const LAST_INSTANT_ISO = "9999-12-31T23:59:59.999Z";
export const FIRST_MS = Date.parse(FIRST_INSTANT_ISO);
export const LAST_MS = Date.parse(LAST_INSTANT_ISO);

/** True for a valid Date within FIRST_INSTANT_ISO … LAST_INSTANT_ISO. */
export function isInstantInRange(date: Date): boolean {
  const ms = date.getTime();
  return ms >= FIRST_MS && ms <= LAST_MS;
}
