import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));

/** Starts the gateway's main with only `env` and returns how it exited. */
async function start(env: Record<string, string>) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", main],
    env: { PATH: Deno.env.get("PATH") ?? "", GATEWAY_PORT: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

Deno.test("production refuses a weak JWT_SECRET in one clean line naming it, never its value", async () => {
  const secret = "a".repeat(64);
  const { code, output } = await start({ GATEWAY_MODE: "production", JWT_SECRET: secret });
  assert.equal(code, 1);
  assert.equal(
    output.trim(),
    "Invalid configuration: JWT_SECRET (value hidden): has too few distinct characters to be random",
  );
});

Deno.test("a malformed URL is reported with its password masked", async () => {
  const { code, output } = await start({ READ_MODEL_URL: "mysql://app:hunter2@db/x" });
  assert.equal(code, 1);
  assert.match(output, /READ_MODEL_URL="mysql:\/\/app:\*\*\*@db\/x": must be a postgres/);
  assert.ok(!output.includes("hunter2"), output);
  assert.ok(!output.includes("    at "), "no stack trace");
});

Deno.test("a TLS file that is not there stops start-up in one line naming the variable and the fix", async () => {
  const { code, output } = await start({
    GATEWAY_TLS_CERT: "/nonexistent/server.crt",
    GATEWAY_TLS_KEY: "/nonexistent/server.key",
  });
  assert.equal(code, 1);
  assert.equal(
    output.trim(),
    "Invalid configuration:\n" +
      '  GATEWAY_TLS_CERT="/nonexistent/server.crt": no such file; set it to the path of a PEM ' +
      "file (`deno task certs` makes development ones)\n" +
      "  GATEWAY_TLS_KEY (value hidden): no such file; set it to the path of a PEM file " +
      "(`deno task certs` makes development ones)",
  );
});
