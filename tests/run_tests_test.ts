import assert from "node:assert/strict";
import { testServerUrl } from "@shared/testing/db.ts";

const root = new URL("../", import.meta.url).pathname;
const fixtures = "shared/testing/fixtures/run_tests";

Deno.test("run_tests: a test that failed before a runtime crash still fails the run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "run-tests-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "scripts/run_tests.ts",
        `${fixtures}/a_fails.ts`,
        `${fixtures}/b_crashes_once.ts`,
      ],
      cwd: root,
      env: { TEST_DATABASE_URL: testServerUrl(), RUN_TESTS_CRASH_MARK: `${dir}/crashed` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    // The crash was seen and what it cut short ran again, and passed this time.
    assert.match(
      text,
      /killed by SIGKILL in shared\/testing\/fixtures\/run_tests\/b_crashes_once\.ts/,
    );
    assert.match(text, /tests failed before the crash/);
    assert.notEqual(out.code, 0, text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
