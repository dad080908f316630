import { BookingStatus } from "../../entities";
import { DomainError } from "../errors";
import { assertTransition, canTransition, TRANSITIONS } from "./booking-status";

const { CANCELLED, ACCEPTED, REJECTED, PENDING, AWAITING_HOST } = BookingStatus;
const all = Object.values(BookingStatus);

describe("booking status transitions", () => {
  const allowed = new Set([
    `${PENDING}>${ACCEPTED}`,
    `${PENDING}>${REJECTED}`,
    `${PENDING}>${CANCELLED}`,
    `${AWAITING_HOST}>${ACCEPTED}`,
    `${AWAITING_HOST}>${CANCELLED}`,
    `${ACCEPTED}>${CANCELLED}`,
  ]);

  it.each(all.flatMap((from) => all.map((to) => [from, to] as const)))("%s → %s follows the contract", (from, to) => {
    expect(canTransition(from, to)).toBe(allowed.has(`${from}>${to}`));
    if (from === to || allowed.has(`${from}>${to}`)) {
      expect(() => assertTransition(from, to)).not.toThrow();
    } else {
      try {
        assertTransition(from, to);
        throw new Error("expected a conflict");
      } catch (err) {
        expect(err).toBeInstanceOf(DomainError);
        expect((err as DomainError).code).toBe("CONFLICT");
        expect((err as DomainError).details.reason).toBe("INVALID_TRANSITION");
      }
    }
  });

  it("makes CANCELLED and REJECTED final", () => {
    expect(TRANSITIONS[CANCELLED]).toEqual([]);
    expect(TRANSITIONS[REJECTED]).toEqual([]);
  });
});
