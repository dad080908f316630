import { BookingOrderField as F, OrderDirection as D } from "../domain/booking/booking-order";
import { formOf } from "./page-form";

const index = (first: string, second: string | null = null, descending = false, nullsFirst = descending) => ({
  first,
  second,
  descending,
  nullsFirst,
});
const PKEY = index("id");
const CALCOM = [PKEY, index("startTime", "endTime"), index("userId", "status")];

describe("a later page's form (page-form.ts)", () => {
  it("reads rows directly over Cal.com's start-time index, in both directions", () => {
    expect(formOf(CALCOM, { field: F.START_TIME, direction: D.ASC })).toBe("rows");
    expect(formOf(CALCOM, { field: F.START_TIME, direction: D.DESC })).toBe("rows");
  });

  it("chooses ids first where a btree holds (field, id), or nothing gives the order", () => {
    expect(formOf([...CALCOM, index("startTime", "id")], { field: F.START_TIME, direction: D.ASC })).toBe("ids");
    expect(formOf(CALCOM, { field: F.END_TIME, direction: D.ASC })).toBe("ids");
    expect(formOf(CALCOM, { field: F.CREATED_AT, direction: D.DESC })).toBe("ids");
    expect(formOf(CALCOM, { field: F.ID, direction: D.DESC })).toBe("ids");
  });

  it("does not count an INCLUDE column as the second key", () => {
    // readIndexes reports a second key only among the key columns: (startTime) INCLUDE (id) has none.
    expect(formOf([PKEY, index("startTime", null)], { field: F.START_TIME, direction: D.ASC })).toBe("rows");
  });

  it("uses an index only in an order it can be read in (updatedAt sorts NULLS LAST both ways)", () => {
    const plain = [PKEY, index("updatedAt")];
    expect(formOf(plain, { field: F.UPDATED_AT, direction: D.ASC })).toBe("rows");
    // Backwards it gives DESC NULLS FIRST, not the DESC NULLS LAST the list asks for.
    expect(formOf(plain, { field: F.UPDATED_AT, direction: D.DESC })).toBe("ids");
    const descNullsLast = [PKEY, index("updatedAt", null, true, false)];
    expect(formOf(descNullsLast, { field: F.UPDATED_AT, direction: D.DESC })).toBe("rows");
    expect(formOf(descNullsLast, { field: F.UPDATED_AT, direction: D.ASC })).toBe("ids");
  });
});
