import assert from "node:assert/strict";
import { readBody } from "./limits.ts";

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://gateway/graphql", { method: "POST", body, headers });

/** A body streamed in chunks, without a declared length. */
function streamed(chunks: number, size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent++ < chunks) controller.enqueue(new Uint8Array(size).fill(97));
      else controller.close();
    },
  });
}

async function refusal(
  result: unknown,
): Promise<{ status: number; message: string; code: string }> {
  assert.ok(result instanceof Response, "a body over the limit is refused");
  const json = await result.json() as {
    errors: { message: string; extensions: { code: string } }[];
  };
  return {
    status: result.status,
    message: json.errors[0]!.message,
    code: json.errors[0]!.extensions.code,
  };
}

Deno.test("readBody() returns a body within the limit, byte for byte", async () => {
  const text = JSON.stringify({ query: "{ categories { id } }" });
  const body = await readBody(post(text), 1024);
  assert.ok(body instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(body), text);
  assert.equal(await readBody(new Request("http://gateway/health"), 10), null);
});

Deno.test("readBody() refuses a declared length over the limit with 413, naming the limit", async () => {
  const r = await refusal(await readBody(post("x".repeat(2000)), 1000));
  assert.deepEqual(r, {
    status: 413,
    message: "Request body is larger than the limit of 1000 bytes",
    code: "VALIDATION",
  });
});

Deno.test("readBody() refuses a streamed body once it passes the limit, whatever it declared", async () => {
  // No Content-Length: 5 chunks of 300 bytes against a 1000-byte limit.
  const r = await refusal(await readBody(post(streamed(5, 300)), 1000));
  assert.equal(r.status, 413);
  assert.match(r.message, /limit of 1000 bytes/);
  // Exactly at the limit is accepted.
  const body = await readBody(post(streamed(4, 250)), 1000);
  assert.ok(body instanceof Uint8Array);
  assert.equal(body.byteLength, 1000);
});
