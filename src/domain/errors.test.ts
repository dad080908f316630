import { clipQuotedInput, MAX_QUOTED_INPUT, quoteInput } from "./errors";

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

describe("clipQuotedInput", () => {
  it("cuts each long quoted string in a message written elsewhere, leaving short ones and the words alone", () => {
    const huge = "x".repeat(900_000);
    const message = `Variable "$input" got invalid value ${JSON.stringify(huge)} at "input.start"; Expected "DateTime".`;
    expect(clipQuotedInput(message)).toBe(
      `Variable "$input" got invalid value "${"x".repeat(100)}"… (900000 characters) at "input.start"; Expected "DateTime".`,
    );
    expect(clipQuotedInput('Int cannot represent non-integer value: "12a"')).toBe('Int cannot represent non-integer value: "12a"');
  });

  it("counts characters of the input, not of its escapes", () => {
    const quotes = '"'.repeat(80); // 160 characters once escaped
    expect(clipQuotedInput(`got ${JSON.stringify(quotes)}`)).toBe(`got ${JSON.stringify(quotes)}`);
  });
});
