import assert from "node:assert/strict";
import { ValidationError } from "@shared/errors/mod.ts";
import { categoryName, description, position, reason } from "./fields.ts";
import { checkDescription, checkName, checkReason, quote } from "./rules.ts";
import { textLength, textProblem } from "./text.ts";

Deno.test("textLength counts code points, so an emoji is one character", () => {
  assert.equal(textLength("😀".repeat(51)), 51);
  assert.equal(textLength("aé😀"), 3);
});

Deno.test("the zod contract and the decider agree on every name length, in code points", () => {
  for (
    const [name, ok] of [["😀".repeat(51), true], ["😀".repeat(100), true], [
      "😀".repeat(101),
      false,
    ], ["a".repeat(101), false]] as const
  ) {
    assert.equal(categoryName.safeParse(name).success, ok, `zod, ${textLength(name)}`);
    let decided = true;
    try {
      checkName(name, { max: 100 });
    } catch (err) {
      assert.ok(err instanceof ValidationError);
      decided = false;
    }
    assert.equal(decided, ok, `decider, ${textLength(name)}`);
  }
});

Deno.test("text the store would change is refused by both sides, naming the field", () => {
  const bad = ["\uD800", "a\uDC00b", "😀\uD83D", "A\u0000B", "bell\u0007", "del\u007f", "x\u0085"];
  for (const text of bad) {
    assert.ok(textProblem(text), JSON.stringify(text));
    assert.equal(categoryName.safeParse(text).success, false, JSON.stringify(text));
    assert.equal(description.safeParse(text).success, false, JSON.stringify(text));
    assert.equal(reason.safeParse(text).success, false, JSON.stringify(text));
    assert.throws(
      () => checkName(text, { max: 100 }),
      (e) => e instanceof ValidationError && e.issues[0]?.field === "name",
    );
    assert.throws(
      () => checkDescription(text),
      (e) => e instanceof ValidationError && e.issues[0]?.field === "description",
    );
    assert.throws(
      () => checkReason(text, "changeReason"),
      (e) => e instanceof ValidationError && e.issues[0]?.field === "changeReason",
    );
  }
});

Deno.test("names are one line; descriptions and reasons may hold line breaks and tabs", () => {
  assert.equal(categoryName.safeParse("a\nb").success, false);
  assert.throws(() => checkName("a\nb", { max: 100 }), ValidationError);
  assert.equal(description.parse("a\n\tb"), "a\n\tb");
  assert.equal(checkDescription("a\r\nb"), "a\r\nb");
  assert.equal(checkReason(" a\nb "), "a\nb");
});

Deno.test("quote never cuts a surrogate pair and never returns a lone surrogate", () => {
  const quoted = quote("😀".repeat(51));
  assert.equal(quoted, `"${"😀".repeat(37)}..."`);
  assert.equal(quoted.isWellFormed(), true);
  assert.equal(quote("a\uD800").isWellFormed(), true);
});

Deno.test("a position holds two 64-bit whole numbers", () => {
  assert.equal(position.safeParse("9223372036854775807:1").success, true);
  for (const bad of ["9223372036854775808:1", "1:99999999999999999999", "1", "1:2:3", "-1:2", ""]) {
    assert.equal(position.safeParse(bad).success, false, bad);
  }
});
