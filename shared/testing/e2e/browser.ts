import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium, which the console's browser tests drive. */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Starts headless Chromium. Throws, naming the fix, when it cannot: the
 * console's browser tests fail rather than skip on a machine without it.
 */
export async function launchBrowser(): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: install it with "apt-get install -y chromium"`,
    );
  }
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Where screenshots go when CONSOLE_SCREENSHOTS names a folder (e.g. docs/console); else nowhere. */
export function screenshotPath(name: string): string | undefined {
  const folder = Deno.env.get("CONSOLE_SCREENSHOTS");
  return folder ? `${folder}/${name}.png` : undefined;
}
