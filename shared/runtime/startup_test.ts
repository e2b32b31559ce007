import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ConfigError } from "@shared/config/mod.ts";
import { freePort } from "@shared/db/embedded.ts";
import { startupFailure } from "./startup.ts";

const settings = {
  COMMAND_PORT: 50051,
  COMMAND_METRICS_PORT: 9464,
  EVENT_STORE_URL: "postgres://app:hunter2@db.internal:6543/events",
};

Deno.test("a start-up failure is one line naming the cause and the setting to change", async (t) => {
  await t.step("a port in use names its setting", () => {
    const err = new Error("Cannot listen on 127.0.0.1:9464: No address added out of total 1");
    Object.assign(err, { code: "EADDRINUSE" });
    assert.equal(
      startupFailure("command", settings, err),
      "command cannot start: port 9464 (COMMAND_METRICS_PORT) is already in use; stop what " +
        "listens on it or set COMMAND_METRICS_PORT to a free port",
    );
  });
  await t.step("a port in use that no setting holds is named as it is", () => {
    const err = new Deno.errors.AddrInUse("Cannot listen on 0.0.0.0:9466: address already in use");
    assert.equal(
      startupFailure("gateway", settings, err),
      "gateway cannot start: port 9466 is already in use; stop what listens on it or set the " +
        "port that listener uses to a free one",
    );
  });
  await t.step("a database that refuses connections names its URL setting", () => {
    const err = Object.assign(new Error("connect ECONNREFUSED db.internal:6543"), {
      code: "ECONNREFUSED",
    });
    const line = startupFailure("command", settings, err);
    assert.equal(
      line,
      "command cannot start: cannot connect to db.internal:6543 (EVENT_STORE_URL); start that " +
        "server, or set EVENT_STORE_URL to one that runs",
    );
    assert.ok(!line.includes("hunter2"));
  });
  await t.step("PostgreSQL's refusals say what to fix", () => {
    const pg = (code: string, message: string) => Object.assign(new Error(message), { code });
    assert.match(
      startupFailure("command", settings, pg("3D000", 'database "events" does not exist')),
      /database "events" does not exist \(EVENT_STORE_URL\); create it, or set EVENT_STORE_URL/,
    );
    assert.match(
      startupFailure("command", settings, pg("28P01", "password authentication failed")),
      /PostgreSQL refused the login \(EVENT_STORE_URL\): password authentication failed; check/,
    );
    assert.match(
      startupFailure("command", settings, pg("42P01", 'relation "events" does not exist')),
      /EVENT_STORE_URL is not migrated .*run `deno task migrate`/,
    );
  });
  await t.step("a ConfigError is its own message; anything else its first line", () => {
    assert.equal(
      startupFailure("saga", settings, new ConfigError("JWT_SECRET: is required")),
      "saga cannot start: JWT_SECRET: is required",
    );
    assert.equal(
      startupFailure("saga", settings, new Error("first\n    at somewhere (x.ts:1:1)")),
      "saga cannot start: first",
    );
    assert.equal(startupFailure("saga", settings, undefined), "saga cannot start: undefined");
  });
});

async function runMain(service: string, env: Record<string, string>) {
  const main = fileURLToPath(new URL(`../../services/${service}/main.ts`, import.meta.url));
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", main],
    env: { PATH: Deno.env.get("PATH") ?? "", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, output: (decoder.decode(stdout) + decoder.decode(stderr)).trim() };
}

Deno.test("services that cannot start say why in one line, without a stack trace", async (t) => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  try {
    await t.step("the gateway on a port in use", async () => {
      const { code, output } = await runMain("gateway", { GATEWAY_PORT: String(port) });
      assert.equal(code, 1);
      assert.equal(
        output,
        `gateway cannot start: port ${port} (GATEWAY_PORT) is already in use; stop what listens ` +
          "on it or set GATEWAY_PORT to a free port",
      );
    });
    await t.step("a production gateway whose default metrics port is in use", async () => {
      let held: Deno.Listener | undefined;
      try {
        held = Deno.listen({ hostname: "0.0.0.0", port: 9466 });
      } catch {
        // Held by something else already: in use all the same.
      }
      try {
        const { code, output } = await runMain("gateway", {
          GATEWAY_MODE: "production",
          GATEWAY_PORT: String(freePort()),
          JWT_SECRET: "Jq2vXx7mQ0rB8sYc4kTn1LdWz5uHf9Ge3aPiVoR6yMk=",
        });
        assert.equal(code, 1);
        assert.equal(
          output,
          "gateway cannot start: port 9466 (GATEWAY_METRICS_PORT) is already in use; stop what " +
            "listens on it or set GATEWAY_METRICS_PORT to a free port",
        );
      } finally {
        held?.close();
      }
    });
    await t.step("the saga worker with its event store down", async () => {
      const down = freePort();
      const { code, output } = await runMain("saga", {
        EVENT_STORE_URL: `postgres://postgres:secret@127.0.0.1:${down}/events`,
      });
      assert.equal(code, 1);
      assert.equal(
        output,
        `saga cannot start: cannot connect to 127.0.0.1:${down} (EVENT_STORE_URL); start that ` +
          "server, or set EVENT_STORE_URL to one that runs",
      );
    });
    await t.step("every service with a bad setting", async () => {
      for (const service of ["gateway", "command", "query", "projector", "saga"]) {
        const { code, output } = await runMain(service, {
          EVENT_STORE_URL: "mysql://nowhere",
          READ_MODEL_URL: "postgres://postgres@127.0.0.1:1/read_model",
        });
        assert.equal(code, 1, `${service}: ${output}`);
        assert.equal(output.split("\n").length, 1, `${service} said:\n${output}`);
        assert.match(output, /EVENT_STORE_URL/, service);
        assert.doesNotMatch(output, /\bat .*\.ts:\d+/, service);
      }
    });
  } finally {
    busy.close();
  }
});
