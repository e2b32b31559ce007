import assert from "node:assert/strict";
import { loadProto } from "./proto.ts";
import { checkWire, resolverOf } from "./wire.ts";
import "@proto/command/v1/contract.ts";

const definitions = loadProto("command/v1/command.proto") as Record<string, unknown>;
const resolve = resolverOf(definitions);

function check(type: string, bytes: number[]) {
  const found = resolve(type, "cqrs.command.v1.CategoryCommands")!;
  return checkWire(new Uint8Array(bytes), found.type, found.name, resolve);
}

const utf8 = (text: string) => [...new TextEncoder().encode(text)];
const field = (n: number, bytes: number[]) => [(n << 3) | 2, bytes.length, ...bytes];

Deno.test("checkWire accepts a sound message, unknown fields included", () => {
  assert.equal(check("CreateCategoryRequest", field(2, utf8("Shoes 😀"))), null);
  assert.equal(check("CreateCategoryRequest", [...field(2, utf8("A")), ...field(9, [1, 2])]), null);
  assert.equal(check("SetStockRequest", [...field(1, utf8("x")), 0x10, 0x96, 0x01]), null);
});

Deno.test("checkWire refuses a string that runs past the end, naming the field", () => {
  assert.deepEqual(check("CreateCategoryRequest", [0x12, 0x7f, 0x41]), {
    field: "name",
    message: "is truncated: the request is not a valid protobuf message",
  });
  assert.equal(check("SetStockRequest", [...field(1, utf8("x")), 0x10, 0x96])?.field, "quantity");
  assert.equal(check("CreateCategoryRequest", [0x12])?.field, "name");
});

Deno.test("checkWire refuses invalid UTF-8 in a string, nested ones too", () => {
  assert.deepEqual(check("CreateCategoryRequest", field(2, [0x41, 0xff, 0x42])), {
    field: "name",
    message: "must be valid UTF-8",
  });
  // An encoded lone surrogate (ED A0 80) is not UTF-8 either.
  assert.equal(check("CreateCategoryRequest", field(3, [0xed, 0xa0, 0x80]))?.field, "description");
  const address = field(4, field(2, [0xc3]));
  assert.equal(check("CreateOrderRequest", address)?.field, "shippingAddress.city");
});

Deno.test("checkWire refuses malformed tags and wire types", () => {
  assert.equal(
    check("CreateCategoryRequest", [0x00, 0x01])?.message.startsWith("is malformed"),
    true,
  );
  assert.equal(check("CreateCategoryRequest", [0x13])?.message.startsWith("is malformed"), true);
  assert.equal(check("CreateCategoryRequest", [0x80])?.message.startsWith("is truncated"), true);
});
