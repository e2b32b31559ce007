import assert from "node:assert/strict";
import { z } from "zod";
import { ConfigError, loadConfig, maskUrlCredentials, postgresUrlVar } from "./mod.ts";

const schema = z.object({
  JWT_SECRET: z.string().min(32, "must be at least 32 characters"),
  DB_PASSWORD: z.string().min(12, "must be at least 12 characters"),
  API_KEY: z.string().regex(/^k_/, "must start with k_"),
  EVENT_STORE_URL: postgresUrlVar,
  PORT: z.coerce.number().int(),
});

function messageOf(env: Record<string, string>): string {
  try {
    loadConfig(schema, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail("the configuration was accepted");
}

Deno.test("loadConfig() names a bad secret variable without printing its value", () => {
  const message = messageOf({
    JWT_SECRET: "tooshort-hunter2",
    DB_PASSWORD: "pw-hunter2",
    API_KEY: "hunter2-key",
    EVENT_STORE_URL: "postgres://db/x",
    PORT: "1",
  });
  assert.match(message, /JWT_SECRET \(value hidden\): must be at least 32 characters/);
  assert.match(message, /DB_PASSWORD \(value hidden\): must be at least 12/);
  assert.match(message, /API_KEY \(value hidden\): must start with k_/);
  assert.ok(!message.includes("hunter2"), message);
});

Deno.test("loadConfig() masks the password of a bad URL and still quotes other values", () => {
  const message = messageOf({
    JWT_SECRET: "x".repeat(32),
    DB_PASSWORD: "long-enough-password",
    API_KEY: "k_1",
    EVENT_STORE_URL: "mysql://app:hunter2@db:3306/x",
    PORT: "eighty",
  });
  assert.match(message, /EVENT_STORE_URL="mysql:\/\/app:\*\*\*@db:3306\/x": must be a postgres/);
  assert.match(message, /PORT="eighty"/);
  assert.ok(!message.includes("hunter2"), message);
});

Deno.test("maskUrlCredentials() masks user-info, even with @ or / in the password", () => {
  assert.equal(maskUrlCredentials("postgres://u:p%40ss@h/db"), "postgres://u:***@h/db");
  assert.equal(maskUrlCredentials("postgres://u:p@ss/w@h/db"), "postgres://u:***@h/db");
  assert.equal(maskUrlCredentials("redis://:secret@r:6379"), "redis://:***@r:6379");
  assert.equal(maskUrlCredentials("https://tok3n@git.example"), "https://***@git.example");
  assert.equal(
    maskUrlCredentials("a postgres://u:one@h1/x and redis://:two@h2 here"),
    "a postgres://u:***@h1/x and redis://:***@h2 here",
  );
  assert.equal(
    maskUrlCredentials("postgres://h/db no credentials"),
    "postgres://h/db no credentials",
  );
});
