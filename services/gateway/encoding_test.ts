import assert from "node:assert/strict";
import { checkEncoding } from "./encoding.ts";

const at = (query = "") => new Request(`http://gateway/graphql${query}`, { method: "POST" });

Deno.test("checkEncoding() refuses bodies and query strings that are not UTF-8", () => {
  const json = (bytes: number[]) =>
    new Uint8Array([...new TextEncoder().encode('{"query":"'), ...bytes, 0x22, 0x7d]);
  for (
    const bad of [
      [0xff], // never valid
      [0xc0, 0x80], // overlong NUL
      [0xed, 0xa0, 0x80], // an encoded surrogate
      [0xe2, 0x82], // cut short
    ]
  ) {
    const refused = checkEncoding(at(), json(bad));
    assert.equal(refused?.issues[0]?.field, "body", JSON.stringify(bad));
  }
  assert.equal(checkEncoding(at("?query=%7B%FF%7D"))?.issues[0]?.field, "query string");
  assert.equal(checkEncoding(at(), json([0xf0, 0x9f, 0x98, 0x80])), null);
  assert.equal(checkEncoding(at("?query=%7B%20id%20%7D&x=%F0%9F%98%80")), null);
  assert.equal(checkEncoding(at(), null), null);
});
