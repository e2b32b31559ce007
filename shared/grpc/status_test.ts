import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  AlreadyExistsError,
  ConflictError,
  NotFoundError,
  ValidationError,
} from "@shared/errors/mod.ts";
import { fromServiceError, toServiceError } from "./status.ts";

/** What a client sees of a status the server sent. */
function received(status: Partial<grpc.StatusObject>): grpc.ServiceError {
  return Object.assign(new Error(status.details), {
    code: status.code!,
    details: status.details!,
    metadata: status.metadata!,
  });
}

Deno.test("an error quoting any text becomes a status with ASCII-safe metadata and back", () => {
  const name = "😀".repeat(51);
  const cut = name.slice(0, 37); // ends inside a surrogate pair
  const error = new ValidationError([{ field: "name", message: `too long in "${cut}" é\u0000` }]);
  const status = toServiceError(error);
  assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
  assert.equal(status.details!.isWellFormed(), true);
  assert.doesNotThrow(() => encodeURI(status.details!));
  for (const [key, values] of Object.entries(status.metadata!.getMap())) {
    assert.ok(key.endsWith("-bin") || /^[\x20-\x7e]*$/.test(String(values)), key);
  }
  const back = fromServiceError(received(status), "test");
  assert.ok(back instanceof ValidationError);
  assert.equal(back.issues[0]?.field, "name");
  assert.match(back.issues[0]!.message, /too long in "😀/);
});

Deno.test("a duplicate is ALREADY_EXISTS over gRPC and still a CONFLICT to callers", () => {
  const status = toServiceError(new AlreadyExistsError("a sibling exists", { field: "name" }));
  assert.equal(status.code, grpc.status.ALREADY_EXISTS);
  const back = fromServiceError(received(status), "test");
  assert.ok(back instanceof AlreadyExistsError);
  assert.equal(back.code, "CONFLICT");
  assert.equal(back.details.field, "name");
  assert.equal(toServiceError(new ConflictError("raced")).code, grpc.status.ABORTED);
});

Deno.test("details travel as google.rpc.Status: other codes keep their details", () => {
  const status = toServiceError(new NotFoundError('Category "é" does not exist', { field: "id" }));
  assert.equal(status.code, grpc.status.NOT_FOUND);
  const back = fromServiceError(received(status), "test");
  assert.ok(back instanceof NotFoundError);
  assert.equal(back.message, 'Category "é" does not exist');
  assert.equal(back.details.field, "id");
});

Deno.test("a database that cannot be reached is UNAVAILABLE, other failures INTERNAL", () => {
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
    code: "ECONNREFUSED",
  });
  assert.equal(toServiceError(refused).code, grpc.status.UNAVAILABLE);
  const closed = Object.assign(new Error("write CONNECTION_CLOSED"), { code: "CONNECTION_CLOSED" });
  assert.equal(toServiceError(closed).code, grpc.status.UNAVAILABLE);
  const bug = toServiceError(new TypeError("x is undefined"));
  assert.equal(bug.code, grpc.status.INTERNAL);
  assert.equal(bug.details, "Internal error");
});

Deno.test("toServiceError never throws, whatever it is given", () => {
  const hostile = {
    get message() {
      throw new Error("no");
    },
  };
  for (const err of [undefined, null, 42, hostile, Object.create(null)]) {
    assert.doesNotThrow(() => toServiceError(err));
  }
});
