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
const stopChild = () => current?.kill("SIGTERM");
Deno.addSignalListener("SIGINT", stopChild);
Deno.addSignalListener("SIGTERM", stopChild);

async function denoTest(args: string[]): Promise<Deno.CommandStatus> {
  current = new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", ...args],
    env: { TEST_DATABASE_URL: url! },
    stdin: "null",
  }).spawn();
  return await current.status;
}

/**
 * Runs one isolated file; when the runtime itself crashed (killed by a
 * signal, not a failed assertion, which exits with code 1), says so and
 * runs the file once more.
 */
async function isolatedTest(file: string): Promise<number> {
  const first = await denoTest([file]);
  if (!first.signal && first.code < 128) return first.code;
  console.log(
    `[run_tests] ${file}: the deno test process was killed by ${
      first.signal ?? `code ${first.code}`
    } (a runtime crash, not a failed test); running it once more`,
  );
  return (await denoTest([file])).code;
}

try {
  if (Deno.args.length > 0) {
    code = (await denoTest(Deno.args)).code;
  } else {
    code = (await denoTest(["--ignore=" + ISOLATED.join(",")])).code;
    for (const file of ISOLATED) code = (await isolatedTest(file)) || code;
  }
} finally {
  await stop();
}
Deno.exit(code);
