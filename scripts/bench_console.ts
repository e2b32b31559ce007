/**
 * `deno run --allow-all scripts/bench_console.ts [runs]`: how long the
 * operator console takes to show the seeded catalogue (`deno task seed`: 60
 * categories, 1,200 products) in headless Chromium, from navigation to the
 * top-level categories and the first page of products on screen. Each run
 * opens a fresh browser context (no cache). Starts its own system on fresh
 * databases (TEST_DATABASE_URL or an embedded PostgreSQL is not started
 * here: set TEST_DATABASE_URL). With CONSOLE_SCREENSHOTS set, saves a
 * screenshot of the seeded catalogue there.
 */
import { readModelCaughtUp } from "@shared/testing/db.ts";
import { startTestSystem } from "@shared/testing/system.ts";
import { launchBrowser, screenshotPath } from "@shared/testing/e2e/browser.ts";

const runs = Number(Deno.args[0] ?? 5);
const system = await startTestSystem();
const browser = await launchBrowser();
try {
  const seed = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "scripts/seed.ts"],
    env: { COMMAND_SERVICE_ADDRESS: `127.0.0.1:${system.ports.command}` },
    stdout: "null",
  }).output();
  if (!seed.success) throw new Error("Seeding the catalogue failed");
  await readModelCaughtUp(system.db, 120_000);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
    const page = await context.newPage();
    const started = performance.now();
    await page.goto(`${system.gatewayUrl}/console/`);
    await page.getByRole("list", { name: "Categories" }).getByRole("listitem").first().waitFor();
    await page.getByRole("row").nth(20).waitFor();
    times.push(performance.now() - started);
    const path = screenshotPath("catalogue_seeded");
    if (i === runs - 1 && path) await page.screenshot({ path });
    await context.close();
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(
    `console ready with the seeded catalogue: median ${
      sorted[Math.floor(sorted.length / 2)]!.toFixed(0)
    } ms, worst ${sorted.at(-1)!.toFixed(0)} ms over ${runs} runs (first: ${
      times[0]!.toFixed(0)
    } ms)`,
  );
} finally {
  await browser.close();
  await system.close();
}
