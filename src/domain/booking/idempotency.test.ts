import { bookingSlotKey } from "./idempotency";

/**
 * Cal.com's slot key, pinned for known inputs. The expected values were computed outside this code
 * base, with Python's `uuid.uuid5(uuid.NAMESPACE_URL, "<startMillis>.<endMillis>.<organizerId>")`
 * (the name Cal.com's IdempotencyKeyService builds, hashed in the URL namespace as `uuidv5.URL`).
 */
describe("bookingSlotKey (Cal.com's idempotencyKey)", () => {
  it.each([
    ["2026-01-01T00:00:00.000Z", "2026-01-01T00:30:00.000Z", 42, "721ffa51-b583-5282-8b85-5dca5cada5e2"],
    // The day New York moves to summer time: the key depends on UTC milliseconds only.
    ["2026-03-08T15:00:00.000Z", "2026-03-08T15:30:00.000Z", 3, "3b5eae35-9694-5d86-964f-ae9bd0d8fad3"],
  ])("%s – %s, organizer %s", (start, end, organizerId, expected) => {
    expect(bookingSlotKey(new Date(start), new Date(end), organizerId)).toBe(expected);
  });

  it("differs by organizer and by end", () => {
    const start = new Date("2026-01-01T00:00:00Z");
    const end = new Date("2026-01-01T00:30:00Z");
    expect(bookingSlotKey(start, end, 43)).not.toBe(bookingSlotKey(start, end, 42));
    expect(bookingSlotKey(start, new Date("2026-01-01T00:45:00Z"), 42)).not.toBe(bookingSlotKey(start, end, 42));
  });
});
