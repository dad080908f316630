import { MAX_QUOTED_INPUT, quoteInput } from "./errors";

describe("quoteInput", () => {
  it("quotes short strings whole, with escapes visible", () => {
    expect(quoteInput("abc")).toBe('"abc"');
    expect(quoteInput('say "hi"\n')).toBe('"say \\"hi\\"\\n"');
    expect(quoteInput("x".repeat(MAX_QUOTED_INPUT))).toBe(`"${"x".repeat(MAX_QUOTED_INPUT)}"`);
  });

  it("quotes at most 100 characters of long input and says how long it was", () => {
    const huge = "u".repeat(900_000);
    const quoted = quoteInput(huge);
    expect(quoted).toBe(`"${"u".repeat(100)}"… (900000 characters)`);
    expect(quoted.length).toBeLessThan(130);
  });

  it("never cuts a surrogate pair in half", () => {
    const text = "a".repeat(99) + "\uD83D\uDE00" + "b".repeat(10);
    expect(quoteInput(text)).toBe(`"${"a".repeat(99)}"… (111 characters)`);
  });

  it("writes numbers and lists as text, clipped the same way", () => {
    expect(quoteInput(42)).toBe("42");
    expect(quoteInput([1, 2, 3])).toBe("1, 2, 3");
    const many = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(quoteInput(many)).toMatch(/^1, 2, 3, .*… \(\d+ characters\)$/);
    expect(quoteInput(many).length).toBeLessThan(130);
  });
});
