import { DomainError } from "../errors";
import { DEFAULT_TAKE, MAX_TAKE, resolvePaging } from "./booking-read.service";

describe("resolvePaging", () => {
  it("is unpaged when neither take nor page is given", () => {
    expect(resolvePaging(undefined, undefined)).toBeNull();
    expect(resolvePaging(null, null)).toBeNull();
  });
  it("defaults take to 10 when only page is given, and page to 1 when only take is", () => {
    expect(resolvePaging(null, 3)).toEqual({ take: DEFAULT_TAKE, page: 3 });
    expect(resolvePaging(25, null)).toEqual({ take: 25, page: 1 });
  });
  it.each([
    [0, 1, "take"],
    [MAX_TAKE + 1, 1, "take"],
    [-1, 1, "take"],
    [10, 0, "page"],
    [10, -2, "page"],
  ])("rejects take=%s page=%s naming %s", (take, page, field) => {
    expect(() => resolvePaging(take, page)).toThrow(DomainError);
    try {
      resolvePaging(take, page);
    } catch (err) {
      expect((err as DomainError).code).toBe("BAD_USER_INPUT");
      expect((err as DomainError).details.field).toBe(field);
    }
  });
  it("accepts the cap", () => {
    expect(resolvePaging(MAX_TAKE, 1)).toEqual({ take: 250, page: 1 });
  });
});
