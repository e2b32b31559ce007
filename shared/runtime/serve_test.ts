import assert from "node:assert/strict";

/** Runs a process that stops with `stop` (a function body) on SIGTERM; its exit code and log. */
async function stopWith(stop: string): Promise<{ code: number; log: string }> {
  const serve = new URL("./serve.ts", import.meta.url).href;
  const logs = new URL("../log/mod.ts", import.meta.url).href;
  const script = `
    import { runUntilSignal } from "${serve}";
    import { createLogger } from "${logs}";
    runUntilSignal(createLogger("probe"), async () => { ${stop} }, 300);
    console.log("ready");
    setInterval(() => {}, 1000);
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { LOG_LEVEL: "info" },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  while (!log.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) break;
    log += value;
  }
  child.kill("SIGTERM");
  // A process that never exits fails the test instead of holding it up.
  const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    log += value;
  }
  const { code } = await child.status;
  clearTimeout(killer);
  // Warnings and errors go to stderr.
  log += await new Response(child.stderr).text();
  return { code, log };
}

Deno.test("a service stops on SIGTERM: exit 0 when stopped, 1 when the stop fails, 0 with a warning when it runs past its limit", async () => {
  const clean = await stopWith("");
  assert.equal(clean.code, 0);
  assert.match(clean.log, /"message":"stopped"/);

  const failed = await stopWith(`throw new Error("the database refused");`);
  assert.equal(failed.code, 1);
  assert.match(failed.log, /"message":"stop failed".*the database refused/);

  // A stop that never ends (a batch whose database went away) is cut short, not killed.
  const hung = await stopWith("await new Promise(() => {});");
  assert.equal(hung.code, 0);
  assert.match(hung.log, /"level":"warn".*"message":"stop cut short[^"]*".*"ms":300/);
  assert.doesNotMatch(hung.log, /"message":"stopped"/);
});
