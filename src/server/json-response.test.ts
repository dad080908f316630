import http from "node:http";
import type { AddressInfo } from "node:net";
import { endWithParts } from "./json-response";

/** A real server answering with endWithParts, read back by a real client. */
async function answer(parts: string[]): Promise<{ body: Buffer; length: string | undefined }> {
  const server = http.createServer((_req, res) => {
    res.setHeader("content-type", "application/json; charset=utf-8");
    endWithParts(res, parts);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return { body: Buffer.from(await response.arrayBuffer()), length: response.headers.get("content-length") ?? undefined };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("endWithParts", () => {
  it("sends the pieces in order with their length in UTF-8 bytes (multi-byte text, empty pieces, a large piece)", async () => {
    const large = JSON.stringify(Array.from({ length: 2_000 }, (_, i) => ({ id: i, title: `Réunion ${i} 📅` })));
    const parts = ['{"data":{"a":', large, "", ',"b":"ü"}}', "\n"];
    const { body, length } = await answer(parts);
    const expected = Buffer.from(parts.join(""), "utf8");
    expect(length).toBe(String(expected.length));
    expect(body.equals(expected)).toBe(true);
  });

  it("sends a single piece, and an empty body", async () => {
    expect((await answer(['{"data":null}\n'])).body.toString()).toBe('{"data":null}\n');
    expect(await answer([""])).toEqual({ body: Buffer.alloc(0), length: "0" });
  });
});
