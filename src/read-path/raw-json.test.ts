import { joinedText, RawJsonSink } from "./raw-json";

/** The response written with placeholders, then sent as pieces: the same text as the field texts put in place. */
describe("RawJsonSink.parts", () => {
  it("puts each text where its placeholder was written, in the order of the response, pieces kept apart", () => {
    const sink = new RawJsonSink();
    const first = sink.add(['{"nodes":', '[{"id":1,"title":"Café ☕"}]', "}"]);
    const second = sink.add('{"id":2}');
    // Written in the other order than added, beside text that is not a placeholder.
    const body = JSON.stringify({ data: { b: second, a: first, note: "\u0000rj" } }) + "\n";
    const parts = sink.parts(body);
    expect(parts.join("")).toBe('{"data":{"b":{"id":2},"a":{"nodes":[{"id":1,"title":"Café ☕"}]},"note":"\\u0000rj"}}\n');
    expect(parts).toContain('[{"id":1,"title":"Café ☕"}]'); // the large piece as it came, not joined
    expect(JSON.parse(parts.join(""))).toEqual({ data: { b: { id: 2 }, a: { nodes: [{ id: 1, title: "Café ☕" }] }, note: "\u0000rj" } });
  });

  it("leaves a body without placeholders whole, and a placeholder not written out", () => {
    const sink = new RawJsonSink();
    expect(sink.parts('{"data":null}')).toEqual(['{"data":null}']);
    sink.add("[1]");
    expect(sink.parts('{"errors":[]}').join("")).toBe('{"errors":[]}');
  });

  it("joins a text of pieces for parsing", () => {
    expect(joinedText(["[", "1", "]"])).toBe("[1]");
    expect(joinedText("[2]")).toBe("[2]");
  });
});
