import assert from "node:assert/strict";
import { WakeUps } from "./_wakeups.ts";

const INTERVAL = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A policy whose own wake-ups are counted; closed after `body`. */
async function counting(body: (w: WakeUps, sent: () => number) => Promise<void>): Promise<void> {
  let sent = 0;
  const wakeUps = new WakeUps(INTERVAL, () => sent++);
  try {
    await body(wakeUps, () => sent);
  } finally {
    wakeUps.close();
  }
}

Deno.test("events committed without a wake-up get one of their own within the interval", async () => {
  await counting(async (w, sent) => {
    w.committed(undefined);
    w.committed(undefined);
    await sleep(INTERVAL * 3);
    assert.equal(sent(), 1);
  });
});

Deno.test("a batch sent after an uncovered commit carries its wake-up: none of its own goes out", async () => {
  await counting(async (w, sent) => {
    w.committed(undefined);
    await sleep(2);
    const carriedSince = performance.now();
    w.committed(carriedSince);
    await sleep(INTERVAL * 3);
    assert.equal(sent(), 0);
  });
});

Deno.test("a batch sent before an uncovered commit may have committed before it: its own wake-up still goes out", async () => {
  await counting(async (w, sent) => {
    // The batch carrying the wake-up was sent, then another batch's commit (without one) was
    // reported, then the first one's: its commit may have come first.
    const carriedSince = performance.now();
    await sleep(2);
    w.committed(undefined);
    w.committed(carriedSince);
    await sleep(INTERVAL * 3);
    assert.equal(sent(), 1);
  });
});

Deno.test("a batch carries the wake-up when none went out for the interval", async () => {
  await counting(async (w) => {
    assert.equal(w.due(), true);
    w.committed(performance.now());
    assert.equal(w.due(), false);
    await sleep(INTERVAL + 5);
    assert.equal(w.due(), true);
    w.close();
    assert.equal(w.due(), false);
  });
});
