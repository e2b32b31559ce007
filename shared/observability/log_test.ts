import assert from "node:assert/strict";
import { currentTraceId, redact } from "./log.ts";
import { installTestTracing } from "@shared/testing/observability.ts";
import { withSpan } from "./tracing.ts";

const JWT =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEiLCJpYXQiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

Deno.test("currentTraceId() is the active span's trace id, and undefined outside a span", async () => {
  assert.equal(currentTraceId(), undefined, "tracing off");
  await using tracing = installTestTracing();
  assert.equal(currentTraceId(), undefined, "no active span");
  const inside = await withSpan("work", {}, () => currentTraceId());
  assert.equal(inside, tracing.spans()[0]?.spanContext().traceId);
  assert.match(inside ?? "", /^[0-9a-f]{32}$/);
});

Deno.test("redact() masks values under secret keys at any depth", () => {
  const out = redact({
    password: "hunter2",
    user: { name: "ada", apiKey: "k-123", "x-api-key": "k-456", clientSecret: "s" },
    headers: { Authorization: "Bearer abc", cookie: "session=1", "set-cookie": "a=b" },
    accessToken: "t",
    refresh_token: "t",
    DATABASE_PASSWORD: "pw",
    privateKey: "-----BEGIN",
    consistencyToken: "12:34",
    maxTokens: 2000,
    tokenizer: "words",
  });
  assert.deepEqual(out, {
    password: "[REDACTED]",
    user: {
      name: "ada",
      apiKey: "[REDACTED]",
      "x-api-key": "[REDACTED]",
      clientSecret: "[REDACTED]",
    },
    headers: { Authorization: "[REDACTED]", cookie: "[REDACTED]", "set-cookie": "[REDACTED]" },
    accessToken: "[REDACTED]",
    refresh_token: "[REDACTED]",
    DATABASE_PASSWORD: "[REDACTED]",
    privateKey: "[REDACTED]",
    consistencyToken: "12:34",
    maxTokens: 2000,
    tokenizer: "words",
  });
});

Deno.test("redact() keeps only a short prefix of bearer tokens and JWTs found in any string", () => {
  const out = redact({
    header: `Bearer ${JWT}`,
    note: `retrying with token ${JWT} after 401`,
    basic: "Basic dXNlcjpwYXNzd29yZA==",
    list: [`Bearer ${"x".repeat(40)}`],
    short: "Bearer abc",
  });
  assert.equal(out.header, "Bearer eyJhbG…");
  assert.equal(out.note, "retrying with token eyJhbG… after 401");
  assert.equal(out.basic, "Basic dXNlcj…");
  assert.deepEqual(out.list, ["Bearer xxxxxx…"]);
  assert.equal(out.short, "Bearer a…");
  assert.ok(!JSON.stringify(out).includes(JWT.slice(10)), "no full token is left");
});

Deno.test("redact() hides passwords in connection URLs", () => {
  const out = redact({
    url: "postgres://postgres:s3cr3t@event-store-db:5432/event_store",
    message: "Cannot connect to redis://:p4ss@cache:6379/0: refused",
    plain: "http://gateway:4000/graphql",
  });
  assert.equal(out.url, "postgres://postgres:***@event-store-db:5432/event_store");
  assert.equal(out.message, "Cannot connect to redis://:***@cache:6379/0: refused");
  assert.equal(out.plain, "http://gateway:4000/graphql");
});

Deno.test("redact() turns errors into plain redacted objects and copes with cycles", () => {
  const cause = new Error(`upstream said Bearer ${JWT}`);
  const err = new Error("Cannot call postgres://u:pw@db/x", { cause });
  const fields: Record<string, unknown> = { error: err, n: 1, when: new Date(0), nothing: null };
  fields.self = fields;
  const out = redact(fields);
  const error = out.error as Record<string, unknown>;
  assert.equal(error.name, "Error");
  assert.equal(error.message, "Cannot call postgres://u:***@db/x");
  assert.ok(!String(error.stack).includes(":pw@"));
  assert.equal((error.cause as Record<string, unknown>).message, "upstream said Bearer eyJhbG…");
  assert.equal(out.self, "[Circular]");
  assert.equal(out.n, 1);
  assert.deepEqual(out.when, new Date(0));
  assert.equal(out.nothing, null);
  assert.equal(
    (fields.error as Error).message,
    "Cannot call postgres://u:pw@db/x",
    "input unchanged",
  );
});
