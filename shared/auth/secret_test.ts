import assert from "node:assert/strict";
import { assertStrongSecret, secretWeakness, WeakSecretError } from "./secret.ts";
import { DEVELOPMENT_SECRET } from "./sign.ts";

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}
const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const base64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
const base64url = (b: Uint8Array) => base64(b).replace(/\+/g, "-").replace(/\//g, "_");

Deno.test("secretWeakness() accepts 32 random bytes as hex, base64 and base64url", () => {
  for (let i = 0; i < 50; i++) {
    const bytes = randomBytes(32);
    for (const secret of [hex(bytes), base64(bytes), base64url(bytes).replace(/=+$/, "")]) {
      assert.equal(secretWeakness(secret), undefined, secret);
    }
  }
});

Deno.test("secretWeakness() refuses fewer than 32 decoded bytes", () => {
  assert.match(secretWeakness(hex(randomBytes(31)))!, /at least 32 random bytes/);
  // 40 base64 characters decode to 30 bytes, though 40 characters look long enough.
  assert.match(secretWeakness(base64(randomBytes(30)))!, /at least 32 random bytes/);
});

Deno.test("secretWeakness() refuses low-entropy secrets of any length", () => {
  const weak = [
    "a".repeat(32),
    "a".repeat(100),
    "abc".repeat(30),
    "0123456789".repeat(5),
    "0123456789".repeat(7),
    "abcdefghij0123456789".repeat(3),
    "password".repeat(8),
    "passwordpassword-passwordpassword!",
    "0".repeat(64),
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
  ];
  for (const secret of weak) assert.ok(secretWeakness(secret), `accepted ${secret}`);
});

Deno.test("assertStrongSecret() names the variable and never the value", () => {
  for (const secret of ["a".repeat(32), "hunter2hunter2hunter2hunter2hunter2"]) {
    assert.throws(
      () => assertStrongSecret("JWT_SECRET", secret),
      (err: unknown) => {
        assert.ok(err instanceof WeakSecretError);
        assert.match(err.message, /^JWT_SECRET /);
        assert.ok(!err.message.includes(secret.slice(0, 8)), err.message);
        assert.ok(!err.message.includes("\n"));
        return true;
      },
    );
  }
  assert.doesNotThrow(() => assertStrongSecret("JWT_SECRET", base64(randomBytes(32))));
});

Deno.test("secretWeakness() refuses words: the development secret, a lowercase passphrase", () => {
  assert.ok(secretWeakness(DEVELOPMENT_SECRET));
  assert.ok(secretWeakness("correct-horse-battery-staple-and-more-words-here"));
});
