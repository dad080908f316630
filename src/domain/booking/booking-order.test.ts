import { DomainError } from "../errors";
import { BookingOrderField, decodeCursor, encodeCursor, OrderDirection } from "./booking-order";

const START_ASC = { field: BookingOrderField.START_TIME, direction: OrderDirection.ASC };
const UPDATED_DESC = { field: BookingOrderField.UPDATED_AT, direction: OrderDirection.DESC };

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe("BAD_USER_INPUT");
    return (err as DomainError).details.field;
  }
  throw new Error("expected BAD_USER_INPUT");
}

describe("booking cursors", () => {
  it("round-trip instants to the millisecond, in UTC whatever the process zone", () => {
    const value = new Date(Date.UTC(2031, 2, 30, 6, 59, 59, 999)); // near a New York DST change
    const cursor = encodeCursor({ ...START_ASC, value, id: 42 });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, START_ASC)).toEqual({ ...START_ASC, value, id: 42 });
    expect(JSON.parse(Buffer.from(cursor, "base64url").toString()).v).toBe("2031-03-30T06:59:59.999Z");
  });

  it("keep a null updatedAt and plain ids", () => {
    expect(decodeCursor(encodeCursor({ ...UPDATED_DESC, value: null, id: 7 }), UPDATED_DESC)).toEqual({
      ...UPDATED_DESC,
      value: null,
      id: 7,
    });
    const byId = { field: BookingOrderField.ID, direction: OrderDirection.DESC };
    expect(decodeCursor(encodeCursor({ ...byId, value: 9, id: 9 }), byId)).toEqual({ ...byId, value: 9, id: 9 });
  });

  it("reject garbage and cursors of another order, naming after", () => {
    const forged = (p: unknown) => Buffer.from(JSON.stringify(p)).toString("base64url");
    const valid = encodeCursor({ ...START_ASC, value: new Date(0), id: 1 });
    for (const bad of [
      "",
      "!!",
      "e30",
      forged(null),
      forged({ f: "startTime", d: "ASC", v: "1970-01-01T00:00:00Z", i: 1 }),
      forged({ f: "startTime", d: "ASC", v: null, i: 1 }),
      forged({ f: "startTime", d: "ASC", v: "2031-02-30T00:00:00.000Z", i: 1 }),
    ]) {
      expect(fieldOf(() => decodeCursor(bad, START_ASC))).toBe("after");
    }
    expect(fieldOf(() => decodeCursor(valid, { ...START_ASC, direction: OrderDirection.DESC }))).toBe("after");
    expect(fieldOf(() => decodeCursor(valid, UPDATED_DESC))).toBe("after");
  });

  it("reject values no row can have: ids outside 1 … 2^31−1, non-integers, instants outside the DateTime range", () => {
    const forged = (p: unknown) => Buffer.from(JSON.stringify(p)).toString("base64url");
    const byId = { field: BookingOrderField.ID, direction: OrderDirection.ASC };
    const at = (v: unknown, i: unknown) => forged({ f: "startTime", d: "ASC", v, i });
    const ok = "2031-01-01T09:00:00.000Z";
    for (const bad of [
      at(ok, 2 ** 31),
      at(ok, 2 ** 53),
      at(ok, 0),
      at(ok, -1),
      at(ok, 1.5),
      at(ok, 1e300),
      at("0000-12-31T23:59:59.999Z", 1),
    ]) {
      expect(fieldOf(() => decodeCursor(bad, START_ASC))).toBe("after");
    }
    for (const id of [2 ** 31, 0, 2.5]) {
      expect(fieldOf(() => decodeCursor(forged({ f: "id", d: "ASC", v: id, i: id }), byId))).toBe("after");
    }
    // The bounds themselves are positions rows can have.
    expect(decodeCursor(at(ok, 2 ** 31 - 1), START_ASC).id).toBe(2 ** 31 - 1);
    expect(decodeCursor(at("0001-01-01T00:00:00.000Z", 1), START_ASC).value).toEqual(new Date("0001-01-01T00:00:00.000Z"));
    expect(decodeCursor(at("9999-12-31T23:59:59.999Z", 1), START_ASC).value).toEqual(new Date("9999-12-31T23:59:59.999Z"));
    expect(decodeCursor(forged({ f: "id", d: "ASC", v: 1, i: 1 }), byId).id).toBe(1);
  });
});
