import assert from "node:assert/strict";
import type { SagaCommand } from "@shared/domain/order_saga/mod.ts";
import { UnavailableError } from "@shared/errors/mod.ts";
import { silentLogger } from "@shared/testing/projection.ts";
import { Dispatcher, type DispatcherOptions } from "./_dispatcher.ts";

/** An order's ReleaseInventory step, command id `c<n>`. */
function release(n: number): SagaCommand & { orderId: string } {
  const orderId = crypto.randomUUID();
  return {
    orderId,
    commandId: `c${n}`,
    aggregateType: "Inventory",
    streamId: crypto.randomUUID(),
    command: { type: "ReleaseInventory", orderId, productId: crypto.randomUUID() },
  };
}

/** A dispatcher whose sends are recorded and answered by `answer`. */
function dispatcher(
  maxSending: number,
  answer: (command: SagaCommand, attempt: number) => Promise<void>,
  options: Partial<DispatcherOptions> = {},
) {
  const sent: string[] = [];
  const attempts = new Map<string, number>();
  let sending = 0;
  let most = 0;
  const d = new Dispatcher({
    logger: silentLogger,
    retryBaseMs: 5,
    retryMaxMs: 5,
    maxSending,
    onRefused: () => Promise.resolve(),
    isPending: () => Promise.resolve(true),
    async send(command) {
      sent.push(command.commandId);
      const attempt = (attempts.get(command.commandId) ?? 0) + 1;
      attempts.set(command.commandId, attempt);
      most = Math.max(most, ++sending);
      try {
        await answer(command, attempt);
      } finally {
        sending--;
      }
    },
    ...options,
  });
  return { d, sent, most: () => most };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const META = { userId: "saga" } as never;

Deno.test("the saga sends at most maxSending step commands at once; the others wait their turn, in order", async () => {
  const gates: (() => void)[] = [];
  const { d, sent, most } = dispatcher(3, () => new Promise((r) => gates.push(r)));
  const commands = Array.from({ length: 10 }, (_, i) => release(i));
  for (const c of commands) d.send(c.orderId, [c], META);
  await until(() => sent.length === 3, "three are sent");
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(sent.length, 3, "the others wait");
  assert.equal(d.sending, 3);
  assert.equal(d.inFlight, 10);
  while (sent.length < 10 || gates.length > 0) {
    gates.shift()?.();
    await new Promise((r) => setTimeout(r, 1));
  }
  await until(() => d.inFlight === 0, "every command is done");
  assert.equal(most(), 3);
  assert.deepEqual(sent, commands.map((c) => c.commandId), "in the order they came");
  assert.equal(d.sending, 0);
});

Deno.test("a step command waiting for its retry holds no turn", async () => {
  const { d, sent } = dispatcher(1, (command, attempt) => {
    if (command.commandId === "c0" && attempt === 1) {
      return Promise.reject(new UnavailableError("the command service is busy"));
    }
    return Promise.resolve();
  }, { retryBaseMs: 100, retryMaxMs: 100 });
  const [a, b] = [release(0), release(1)];
  d.send(a.orderId, [a], META);
  d.send(b.orderId, [b], META);
  await until(() => d.inFlight === 0, "both are done");
  assert.deepEqual(sent, ["c0", "c1", "c0"], "c1 went while c0 waited to retry");
  assert.equal(d.sending, 0);
});

Deno.test("stop() sends none of the waiting step commands and waits for the one out", async () => {
  let open: () => void = () => {};
  const { d, sent } = dispatcher(1, () => new Promise<void>((r) => open = r));
  for (let i = 0; i < 5; i++) {
    const c = release(i);
    d.send(c.orderId, [c], META);
  }
  await until(() => sent.length === 1, "the first is sent");
  let stopped = false;
  const stopping = d.stop().then(() => stopped = true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(stopped, false, "stop waits for the command out");
  open();
  await stopping;
  assert.deepEqual(sent, ["c0"]);
  assert.equal(d.inFlight, 0);
  assert.equal(d.sending, 0);
});

Deno.test("waiting step commands go out oldest saga first, then in the order they came", async () => {
  const gates: (() => void)[] = [];
  const { d, sent } = dispatcher(1, () => new Promise((r) => gates.push(r)));
  const first = release(0);
  d.send(first.orderId, [first], META, 50);
  await until(() => sent.length === 1, "the first is out");
  // Sagas that started at 40, 10, 30 and 10 (ms): their commands wait behind the first.
  for (const [n, startedAt] of [[1, 40], [2, 10], [3, 30], [4, 10]] as const) {
    const c = release(n);
    d.send(c.orderId, [c], META, startedAt);
  }
  while (sent.length < 5 || gates.length > 0) {
    gates.shift()?.();
    await new Promise((r) => setTimeout(r, 1));
  }
  await until(() => d.inFlight === 0, "every command is done");
  assert.deepEqual(sent, ["c0", "c2", "c4", "c3", "c1"]);
});

Deno.test("held() tells whether an order's command waits for its turn, or when it was sent", async () => {
  const gates: (() => void)[] = [];
  const { d, sent } = dispatcher(1, () => new Promise((r) => gates.push(r)));
  const [a, b] = [release(1), release(2)];
  assert.equal(d.held(a.orderId), undefined);
  const before = Date.now();
  d.send(a.orderId, [a], META);
  d.send(b.orderId, [b], META);
  await until(() => sent.length === 1, "the first is out");
  const sentA = d.held(a.orderId);
  assert.ok(sentA && !sentA.queued && sentA.sentAt >= before, JSON.stringify(sentA));
  assert.deepEqual(d.held(b.orderId), { queued: true });
  await new Promise((r) => setTimeout(r, 20));
  gates.shift()!();
  await until(() => sent.length === 2, "the second is out");
  const sentB = d.held(b.orderId);
  assert.ok(sentB && !sentB.queued && sentB.sentAt >= before + 20, JSON.stringify(sentB));
  gates.shift()!();
  await until(() => d.inFlight === 0, "every command is done");
  // Done, but kept until the saga is over: its event may not have reached the saga yet.
  assert.deepEqual(d.held(a.orderId), sentA);
  d.forget(a.orderId);
  assert.equal(d.held(a.orderId), undefined);
});

Deno.test("held() keeps a command's first send through its retries: a failing step still times out", async () => {
  const { d, sent } = dispatcher(1, (_command, attempt) => {
    if (attempt < 3) return Promise.reject(new UnavailableError("down"));
    return Promise.resolve();
  }, { retryBaseMs: 20, retryMaxMs: 20 });
  const c = release(1);
  d.send(c.orderId, [c], META);
  const first = d.held(c.orderId);
  assert.ok(first && !first.queued);
  await until(() => d.inFlight === 0, "the third attempt went through");
  assert.equal(sent.length, 3);
  assert.deepEqual(d.held(c.orderId), first);
});
