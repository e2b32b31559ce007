/**
 * Runs every test against a real PostgreSQL: TEST_DATABASE_URL when set,
 * otherwise an embedded server in a temporary folder, stopped afterwards.
 * Extra arguments go to `deno test` (e.g. a file or `--filter name`).
 */
import { startEmbeddedPostgres } from "@shared/db/embedded.ts";

let url = Deno.env.get("TEST_DATABASE_URL");
let stop = async () => {};
if (!url) {
  const dataDir = await Deno.makeTempDir({ prefix: "cqrs-test-pg-" });
  const started = performance.now();
  const server = await startEmbeddedPostgres({ dataDir });
  console.log(
    `embedded PostgreSQL on port ${server.port} (${Math.round(performance.now() - started)} ms)`,
  );
  url = server.url;
  stop = async () => {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  };
}

let code = 1;
/**
 * Test files that keep gRPC clients in the test process while the servers
 * they talk to are stopped or killed run in `deno test` processes of their
 * own. Deno's node:http2 has crashed such a process (SIGSEGV, SIGABRT) after
 * its tests had passed (denoland/deno#36788), which would take every later
 * test of the same process down with it.
 */
const ISOLATED = [
  "tests/e2e/gateway_test.ts",
  "tests/e2e/replicas_test.ts",
  "services/gateway/resilience_test.ts",
  "shared/grpc/resilience_test.ts",
  "shared/grpc/replicas_test.ts",
];

let current: Deno.ChildProcess | undefined;
/** The signal that interrupted the run: nothing more is started, and nothing is run again. */
let interrupted: Deno.Signal | undefined;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    interrupted = signal;
    try {
      current?.kill("SIGTERM");
    } catch { /* already exited */ }
  });
}
/** The exit code of a run stopped by a signal, as a shell reports one. */
const INTERRUPTED = 130;

/** How a `deno test` process ended, the test files it started, in order, and whether any test failed. */
interface TestRun {
  status: Deno.CommandStatus;
  started: string[];
  failed: boolean;
}

const RUNNING = /running \d+ tests? from \.\/(\S+)/;
/** A test or step that failed, as `deno test` reports it. */
const FAILED = /\.\.\. FAILED\b/;

/** Runs `deno test`, passing its output through and noting each file it starts. */
async function denoTest(args: string[]): Promise<TestRun> {
  current = new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", ...args],
    env: { TEST_DATABASE_URL: url! },
    stdin: "null",
    stdout: "piped",
  }).spawn();
  const started: string[] = [];
  let failed = false;
  let line = "";
  const decoder = new TextDecoder();
  for await (const chunk of current.stdout) {
    await Deno.stdout.write(chunk);
    line += decoder.decode(chunk, { stream: true });
    const lines = line.split("\n");
    line = lines.pop()!;
    for (const l of lines) {
      // deno-lint-ignore no-control-regex -- the colour codes of the output
      const plain = l.replace(/\x1b\[[0-9;]*m/g, "");
      const file = plain.match(RUNNING)?.[1];
      if (file) started.push(file);
      if (FAILED.test(plain)) failed = true;
    }
  }
  return { status: await current.status, started, failed };
}

/** A process killed by a signal (or exiting as if it were): a runtime crash, not a failed test. */
function crashed(status: Deno.CommandStatus): boolean {
  return status.signal !== null || status.code >= 128;
}

/**
 * Runs `deno test` with `args`; when the runtime itself crashed, says so and
 * runs once more what had not finished: the file it crashed in and every
 * file it had not reached (`ignored` lists what the first run left out). A
 * test that failed before the crash still fails the run.
 */
async function testOnce(args: string[], ignored: string[]): Promise<number> {
  const first = await denoTest(args);
  // A Ctrl-C ends the test process by a signal too: that is no crash to run again.
  if (interrupted) return INTERRUPTED;
  if (!crashed(first.status)) return first.status.code;
  const inFlight = first.started.at(-1);
  const done = first.started.slice(0, -1);
  console.log(
    `[run_tests] the deno test process was killed by ${
      first.status.signal ?? `code ${first.status.code}`
    } in ${inFlight ?? "its start-up"} (a runtime crash, not a failed test; see ` +
      "denoland/deno#36788): running that file and every file after it once more",
  );
  const rest = [...ignored, ...done];
  const again = args.length > 0 && !args[0]!.startsWith("--ignore=")
    ? args.filter((a) => !done.includes(a.replace(/^\.\//, "")))
    : rest.length > 0
    ? ["--ignore=" + rest.join(",")]
    : [];
  const code = (await denoTest(again)).status.code;
  if (!first.failed) return code;
  console.log(
    "[run_tests] tests failed before the crash (see their FAILED lines above): the run fails",
  );
  return code || 1;
}

try {
  if (Deno.args.length > 0) {
    code = await testOnce(Deno.args, []);
  } else {
    code = await testOnce(["--ignore=" + ISOLATED.join(",")], ISOLATED);
    for (const file of ISOLATED) {
      if (interrupted) break;
      code = (await testOnce([file], [])) || code;
    }
  }
} finally {
  await stop();
}
if (interrupted) {
  console.log(`[run_tests] stopped by ${interrupted}: the run fails`);
  code = INTERRUPTED;
}
Deno.exit(code);
