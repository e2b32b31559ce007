import { forEachLimit } from "@shared/runtime/for_each_limit.ts";
/**
 * Property-based fuzzing of the command and query gRPC ports against the
 * system's real processes: raw protobuf bytes to every method of every
 * service in proto/ (hostile field values, truncated messages, wrong wire
 * types, invalid UTF-8, overflowing varints, random bytes) with hostile
 * metadata. Whatever a client sends: no process dies, no answer is INTERNAL
 * or UNKNOWN, and a refused command writes nothing.
 *
 * FUZZ_SEED reproduces a run; FUZZ_GRPC_CASES sets how many messages are sent.
 */
import assert from "node:assert/strict";
import type { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import { SERVICES } from "@shared/runtime/system.ts";
import { startTestSystem } from "@shared/testing/system.ts";
import {
  alive,
  deadServices,
  fuzzSeed,
  show,
  Tally,
  WriteLedger,
} from "@shared/testing/fuzz/harness.ts";
import {
  type Method,
  methods,
  type RawMessage,
  rawMessage,
  type References,
} from "@shared/testing/fuzz/grpc_wire.ts";
import { categoryCommands, orderCommands, productCommands } from "@proto/command/v1/contract.ts";
import { createClient } from "@shared/grpc/client.ts";
import { bearer } from "@shared/testing/auth.ts";
import { positionText } from "@shared/testing/fuzz/values.ts";

const CASES = Number(Deno.env.get("FUZZ_GRPC_CASES") ?? 2000);
const BATCH = 64;
const IN_FLIGHT = 16;

/** String fields holding bytes or text no write may accept as they are. */
const UNSTORABLE =
  /^string (= (NUL|NUL inside|lone high surrogate|lone low surrogate|lone surrogates inside)|invalid UTF-8|UTF-8 lone surrogate|overlong NUL|NUL byte)$/;

interface MetadataFuzz {
  key: string;
  value: string;
  label: string;
}

interface GrpcCase {
  method: Method;
  message: RawMessage;
  metadata: MetadataFuzz[];
}

/** Metadata the services read; values must be printable ASCII in gRPC, so the fuzz stays there. */
function metadataFuzz(writes: boolean): fc.Arbitrary<MetadataFuzz[]> {
  const keys = [
    "x-command-id",
    "x-user-id",
    "traceparent",
    "x-consistency-token",
    "x-causation-id",
    "x-tenant-id",
    "authorization",
    // A write's correlation id is how the write check follows it.
    ...(writes ? [] : ["x-correlation-id"]),
  ];
  const value = fc.oneof(
    positionText(),
    fc.constantFrom(
      { value: "not-a-uuid", label: "not a uuid" },
      { value: crypto.randomUUID().toUpperCase(), label: "upper-case uuid" },
      { value: "a".repeat(513), label: "513 ascii" },
      { value: "a".repeat(8000), label: "8000 ascii" },
      { value: " ", label: "blank" },
      { value: "00-zz-zz-01", label: "malformed traceparent" },
    ),
    fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 40,
    })
      .map((v) => ({ value: v, label: "random ascii" })),
  );
  return fc.array(
    fc.record({ key: fc.constantFrom(...keys), v: value }).map(({ key, v }) => ({
      key,
      value: v.value,
      label: `${key}: ${v.label}`,
    })),
    { maxLength: 2 },
  );
}

function caseArbitrary(all: Method[], unique: () => string): fc.Arbitrary<GrpcCase> {
  return fc.constantFrom(...all).chain((method) =>
    fc.record({
      method: fc.constant(method),
      message: rawMessage(method, unique),
      metadata: fc.tuple(fc.nat({ max: 4 }), metadataFuzz(method.writes)).map(([n, m]) =>
        n === 0 ? m : []
      ),
    })
  );
}

/** A category, a product with stock and an order, which valid messages refer to. */
async function setUp(
  address: string,
  ledger: WriteLedger,
  open: { close(): void }[],
): Promise<References> {
  const categories = createClient(categoryCommands, address);
  const products = createClient(productCommands, address);
  const orders = createClient(orderCommands, address);
  // Closed at the end of the test, before the system stops (see its finally).
  open.push(categories, products, orders);
  const { authorization } = await bearer("fuzz-setup", ["staff"]);
  const metadata = (n: number) => {
    ledger.setup.add(`setup-${n}`);
    return { metadata: { correlationId: `setup-${n}`, authorization } };
  };
  const categoryId = (await categories.createCategory({ name: "Root" }, metadata(0))).id;
  const productId = (await products.createProduct(
    { name: "Pen", price: "10.00", categoryId },
    metadata(1),
  )).id;
  await products.setStock({ productId, quantity: 1_000_000 }, metadata(2));
  const orderId = (await orders.createOrder({
    customerId: crypto.randomUUID(),
    items: [{ productId, quantity: 1 }],
    shippingAddress: { street: "1 Main St", city: "Springfield", postalCode: "12345" },
  }, metadata(3))).id;
  return { categoryId, productId, orderId };
}

function call(
  client: grpc.Client,
  path: string,
  body: Buffer,
  metadata: grpc.Metadata,
): Promise<{ code: grpc.status; details: string }> {
  const identity = (b: Buffer) => b;
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      identity,
      identity,
      body,
      metadata,
      { deadline: Date.now() + 15_000 },
      (err) =>
        resolve(
          err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: "" },
        ),
    );
  });
}

Deno.test({
  name:
    "fuzzed gRPC messages crash nothing, never answer INTERNAL or UNKNOWN and write nothing when refused",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const system = await startTestSystem({ READ_CONSISTENCY_TIMEOUT_MS: "1000" });
    const credentials = grpc.credentials.createInsecure();
    const clients = {
      command: new grpc.Client(`127.0.0.1:${system.ports.command}`, credentials),
      query: new grpc.Client(`127.0.0.1:${system.ports.query}`, credentials),
    };
    const tally = new Tally();
    const ledger = new WriteLedger();
    const open: { close(): void }[] = [];
    try {
      const refs = await setUp(`127.0.0.1:${system.ports.command}`, ledger, open);
      const { authorization: admin } = await bearer("fuzz", ["admin"]);
      await ledger.start(system);
      const all = methods().map((m) => ({ ...m, refs }));
      let serial = 0;
      const unique = () => `${serial++}`;
      const send = async (c: GrpcCase) => {
        const correlation = `gz-${serial++}`;
        const metadata = new grpc.Metadata();
        metadata.set("x-correlation-id", correlation);
        // As an admin, so every handler is reached; a fuzzed authorization replaces it.
        metadata.set("authorization", admin);
        for (const m of c.metadata) metadata.set(m.key, m.value);
        const { code, details } = await call(
          clients[c.method.service],
          c.method.path,
          c.message.bytes,
          metadata,
        );
        const outcome = grpc.status[code] ?? String(code);
        tally.count(outcome);
        const method = `${c.method.path.split("/").slice(1).join("/").replace(/^cqrs\./, "")}${
          c.message.field ? `.${c.message.field}` : ""
        }`;
        const causes = [c.message.label, ...c.metadata.map((m) => `metadata ${m.label}`)];
        const cause = causes.join(" & ");
        const request = `${show(c.message.bytes.toString("hex"), 80)}${
          c.metadata.length ? ` metadata ${show(c.metadata.map((m) => [m.key, m.value]))}` : ""
        }`;
        const answer = `${outcome} ${show(details, 120)}`;
        if (code === grpc.status.INTERNAL || code === grpc.status.UNKNOWN) {
          tally.fail({ failure: outcome, cause, where: method, request, outcome: answer });
        }
        if (c.method.writes && code === grpc.status.OK && UNSTORABLE.test(c.message.label)) {
          tally.fail({
            failure: "accepted text it cannot store",
            cause,
            where: method,
            request,
            outcome: answer,
          });
        }
        if (c.method.writes) {
          const sentCorrelation = !c.metadata.some((m) => m.key === "x-correlation-id");
          ledger.add({
            ...(sentCorrelation ? { correlationId: correlation } : {}),
            freshIds: [],
            accepted: code === grpc.status.OK,
            request,
            outcome: answer,
            cause,
            where: method,
          });
        }
      };

      const seed = fuzzSeed(20_261_206);
      const numRuns = Math.ceil(CASES / BATCH);
      console.log(
        `gRPC fuzz: seed ${seed}, ${all.length} methods, ${numRuns} batches of ${BATCH}, ${IN_FLIGHT} in flight`,
      );
      const started = performance.now();
      await fc.assert(
        fc.asyncProperty(
          fc.array(caseArbitrary(all, unique), { minLength: BATCH, maxLength: BATCH }),
          async (batch) => {
            await forEachLimit(batch, IN_FLIGHT, send);
            const gone = SERVICES.filter((s) => !alive(system.pids[s]));
            if (gone.length > 0) {
              console.log(`${gone.join(", ")} died during this batch:`);
              for (const c of batch) console.log(`  ${c.method.path} ${c.message.label}`);
            }
            assert.deepEqual(gone, [], `processes died after ${tally.cases} messages`);
            return true;
          },
        ),
        { seed, numRuns, endOnFailure: true },
      );
      const seconds = (performance.now() - started) / 1000;
      await new Promise((r) => setTimeout(r, 1000));
      await ledger.check(system, tally);
      const dead = await deadServices(system);
      console.log(tally.report("gRPC fuzz"));
      console.log(
        `  ${tally.cases} messages in ${seconds.toFixed(1)} s (${
          (tally.cases / seconds).toFixed(0)
        }/s); seed ${seed}`,
      );
      assert.deepEqual(dead, [], "every process is alive and healthy after the run");
      assert.ok(tally.cases >= CASES, `sent ${tally.cases} of ${CASES} messages`);
      assert.deepEqual(tally.groups().map((g) => `${g.group} (x${g.count})`), [], "no failure");
    } finally {
      // The test's gRPC clients close only at the end (docs/operations.md).
      clients.command.close();
      clients.query.close();
      for (const client of open) client.close();
      await system.close();
    }
  },
});
