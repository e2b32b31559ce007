import { forEachLimit } from "@shared/runtime/for_each_limit.ts";
/**
 * Property-based fuzzing of the gateway's GraphQL API against the system's
 * real processes: every query and mutation, each argument replaced by hostile
 * values (strings at every code-point limit, NUL, lone surrogates, bidi
 * marks, numbers at and past every bound, values of the wrong type, huge
 * lists), hostile header bytes and malformed bodies. Whatever a client sends:
 * no process dies, no answer is INTERNAL, a refused request writes nothing,
 * and a string is measured in code points against its limit.
 *
 * FUZZ_SEED reproduces a run; FUZZ_CASES sets how many requests are sent.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { signToken } from "../../services/gateway/auth.ts";
import { DEVELOPMENT_SECRET } from "../../services/gateway/auth.ts";
import { gql } from "@shared/testing/graphql.ts";
import { startTestSystem, type TestSystem, warningsOf } from "@shared/testing/system.ts";
import { SERVICES } from "@shared/runtime/system.ts";
import {
  documentOf,
  getPath,
  hostileValue,
  type LimitCase,
  type Operation,
  OPERATIONS,
  type Seed,
  setPath,
} from "@shared/testing/fuzz/graphql_ops.ts";
import {
  alive,
  bytes,
  deadServices,
  fuzzSeed,
  rawHttp,
  show,
  Tally,
  WriteLedger,
} from "@shared/testing/fuzz/harness.ts";
import {
  type BodyFuzz,
  bodyFuzz,
  type Classified,
  classify,
  type HeaderFuzz,
  headerFuzz,
  unavailableKind,
} from "@shared/testing/fuzz/http.ts";
import { CLEAN_KINDS, type Labeled, type TextKind } from "@shared/testing/fuzz/values.ts";
import { bearer } from "@shared/testing/auth.ts";

const CASES = Number(Deno.env.get("FUZZ_CASES") ?? 10_000);
const BATCH = 64;
const IN_FLIGHT = Number(Deno.env.get("FUZZ_IN_FLIGHT") ?? 16);
/** Check every process every this many batches (and at the end). */
const LIVENESS_EVERY = 20;

interface Change {
  path: string[];
  kind: string;
  value: Labeled;
  limit?: LimitCase;
}

interface GraphQLCase {
  op: Operation;
  fresh: string;
  changes: Change[];
  headers: HeaderFuzz[];
  body?: BodyFuzz;
}

/** Hostile texts no write may accept as they are. */
const UNSTORABLE_TEXT = new Set([
  "NUL",
  "NUL inside",
  "lone high surrogate",
  "lone low surrogate",
  "lone surrogates inside",
]);
const UNSTORABLE_BODIES = new Set([
  "invalid UTF-8 in a name",
  "overlong UTF-8 NUL in a name",
  "UTF-8 encoded lone surrogate in a name",
  "raw NUL byte in a name",
  "escaped lone surrogate in a name",
  "escaped NUL in a name",
]);

/** Operations whose writes the ledger can follow without a correlation id: fresh ids only. */
const FOLLOWABLE = new Set(["createCategory", "createProduct"]);

function caseArbitrary(seed: Seed): fc.Arbitrary<GraphQLCase> {
  const change = (op: Operation): fc.Arbitrary<Change> =>
    op.args.length === 0
      ? fc.constant({
        path: ["unused"],
        kind: "none",
        value: { value: 1, label: "unknown variable" },
      })
      : fc.constantFrom(...op.args).chain((arg) =>
        hostileValue(arg.kind, seed).map((v) => ({
          path: arg.path,
          kind: arg.kind.t,
          value: { value: v.value, label: v.label },
          ...(v.limit ? { limit: v.limit } : {}),
        }))
      );
  return fc.record({
    op: fc.constantFrom(...OPERATIONS),
    fresh: fc.uuid({ version: 4 }),
    // One request in ten carries hostile header bytes.
    headers: fc.tuple(fc.nat({ max: 9 }), headerFuzz()).map(([n, h]) => n === 0 ? h : []),
    // One in thirty has a malformed body instead.
    body: fc.tuple(fc.nat({ max: 29 }), bodyFuzz()).map(([n, b]) => n === 0 ? b : undefined),
    extra: fc.nat({ max: 9 }),
  }).chain(({ op, fresh, headers, body, extra }) => {
    // When the correlation id itself is fuzzed, only writes to fresh ids can be followed.
    const fuzzesCorrelation = headers.some((h) => h.name === "x-correlation-id");
    const chosen = fuzzesCorrelation && op.kind === "mutation" && !FOLLOWABLE.has(op.field)
      ? OPERATIONS.find((o) => o.field === "createCategory")!
      : op;
    // Mostly one argument changed (a minimal counterexample), sometimes none or three.
    const count = extra === 0 ? 0 : extra === 1 ? 3 : 1;
    return fc.array(change(chosen), { minLength: count, maxLength: count }).map((changes) => ({
      op: chosen,
      fresh,
      changes,
      headers,
      ...(body ? { body } : {}),
    }));
  });
}

function describe(c: GraphQLCase): string {
  if (c.body) return `body: ${c.body.label}`;
  const parts = c.changes.map((ch) => `${ch.path.join(".")} = ${ch.value.label}`);
  const headers = c.headers.map((h) => h.label);
  return [c.op.field, ...(parts.length ? parts : ["valid"]), ...headers].join(" | ");
}

/** Whether a value is not of its argument's GraphQL type (so coercion, not the service, refuses it). */
function wrongTyped(kind: string, value: unknown): boolean {
  switch (kind) {
    case "int":
      return typeof value !== "number" || !Number.isInteger(value) || Math.abs(value) >= 2 ** 31 ||
        Object.is(value, -0);
    case "bool":
      return typeof value !== "boolean";
    case "object":
      return value === null || typeof value !== "object" || Array.isArray(value);
    case "items":
      return !Array.isArray(value);
    default:
      return typeof value !== "string";
  }
}

/** A header's value by what matters to a server: its bytes' range, then its length. */
function headerClass(h: HeaderFuzz): string {
  const name = h.name;
  if (h.value.some((b) => b >= 0x80)) return `header ${name}: non-ASCII bytes`;
  if (h.value.some((b) => b < 0x20 || b === 0x7f)) return `header ${name}: control bytes`;
  if (h.value.length > 512) return `header ${name}: over 512 bytes`;
  return `header ${h.label}`;
}

/** What about a case could cause a failure, independent of the operation: its hostile parts. */
function causeOf(c: GraphQLCase): string {
  if (c.body) return `body: ${c.body.label}`;
  const causes = new Set([
    ...c.changes.filter((ch) => ch.kind !== "none").map((ch) =>
      wrongTyped(ch.kind, ch.value.value)
        ? `${ch.kind} = wrong-typed variable`
        : `${ch.kind} = ${ch.value.label}`
    ),
    ...c.headers.map(headerClass),
  ]);
  return causes.size ? [...causes].sort().join(" & ") : "valid request";
}

/** Whether a VALIDATION error of the answer names the field at the end of `path`. */
function refusesField(result: Classified, path: string[]): boolean {
  const leaf = path.at(-1)!;
  return result.errors.some((e) => {
    if (e.extensions?.code !== "VALIDATION") return false;
    const fields = e.extensions.fields as { field: string }[] | undefined;
    return fields?.some((f) => f.field.split(".").at(-1) === leaf) ?? e.message.includes(leaf);
  });
}

async function setUp(system: TestSystem, ledger: WriteLedger): Promise<Seed> {
  const url = system.gatewayUrl;
  let n = 0;
  const staff = await bearer("fuzz-setup", ["staff"]);
  const run = async (query: string, variables: Record<string, unknown>) => {
    const correlation = `setup-${n++}`;
    ledger.setup.add(correlation);
    const res = await gql(url, query, variables, { "x-correlation-id": correlation, ...staff });
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return res.data as Record<string, { id: string }>;
  };
  const create = "mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id } }";
  const categoryId = (await run(create, { i: { name: "Root" } })).createCategory!.id;
  const childCategoryId =
    (await run(create, { i: { name: "Child", parentId: categoryId } })).createCategory!.id;
  const spareCategoryId = (await run(create, { i: { name: "Spare" } })).createCategory!.id;
  const productId = (await run(
    "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
    { i: { name: "Pen", price: "10.00", categoryId } },
  )).createProduct!.id;
  await run("mutation($i: SetStockInput!) { setStock(input: $i) { id } }", {
    i: { productId, quantity: 1_000_000 },
  });
  const customerId = crypto.randomUUID();
  const orderId = (await run(
    "mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }",
    {
      i: {
        customerId,
        items: [{ productId, quantity: 1 }],
        shippingAddress: { street: "1 Main St", city: "Springfield", postalCode: "12345" },
      },
    },
  )).createOrder!.id;
  return { categoryId, childCategoryId, spareCategoryId, productId, orderId, customerId };
}

Deno.test({
  name:
    "fuzzed GraphQL requests crash nothing, never answer INTERNAL and write nothing when refused",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const system = await startTestSystem({
      // Keeps a future X-Consistency-Token's wait under the gateway's read deadline.
      READ_CONSISTENCY_TIMEOUT_MS: "1000",
      // Mutations read their own writes: a short poll keeps each one quick.
      PROJECTOR_POLL_MS: "50",
      SAGA_POLL_MS: "200",
    });
    const tally = new Tally();
    const ledger = new WriteLedger();
    const unavailable = new Map<string, number>();
    const port = system.ports.gateway;
    try {
      const seed = await setUp(system, ledger);
      await ledger.start(system);
      const admin = await signToken({ sub: "fuzz-admin", roles: ["admin"] }, {
        secret: DEVELOPMENT_SECRET,
      });
      let serial = 0;

      const send = async (c: GraphQLCase): Promise<void> => {
        const unique = `${serial++}`;
        const correlation = `fz-${unique}-${c.fresh.slice(0, 8)}`;
        let variables = c.op.base(seed, unique, c.fresh);
        for (const ch of c.changes) variables = setPath(variables, ch.path, ch.value.value);
        const body = c.body?.body ??
          bytes(JSON.stringify({ query: documentOf(c.op), variables }));
        const contentType = c.body?.contentType ?? "application/json";
        const headers: Record<string, string> = {
          "content-type": contentType,
          "x-correlation-id": correlation,
        };
        // As an admin, so every operation reaches its resolver and the services' handlers.
        if (!c.body) headers.authorization = `Bearer ${admin}`;
        let status: number | null;
        let text: string;
        if (c.headers.length > 0) {
          const fuzzed = new Set(c.headers.map((h) => h.name));
          const lines = [
            `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: close\r\n`,
            `content-length: ${body.length}\r\n`,
          ];
          for (const [k, v] of Object.entries(headers)) {
            if (!fuzzed.has(k)) lines.push(`${k}: ${v}\r\n`);
          }
          const head = bytes(
            ...lines,
            ...c.headers.flatMap((h) => [`${h.name}: `, h.value, "\r\n"]),
            "\r\n",
          );
          const res = await rawHttp(port, head, body);
          status = res?.status ?? null;
          text = res?.body ?? "";
        } else {
          const res = await fetch(`${system.gatewayUrl}/graphql`, {
            method: "POST",
            headers,
            body,
          });
          status = res.status;
          text = await res.text();
        }
        const result = classify(status, text);
        let outcome = result.outcome;
        if (result.codes.includes("UNAVAILABLE")) {
          const kind = unavailableKind(result.errors);
          unavailable.set(kind, (unavailable.get(kind) ?? 0) + 1);
          outcome = `${outcome}(${kind})`;
        }
        tally.count(outcome);
        const cause = causeOf(c);
        const where = c.body ? "body" : c.op.field;
        const request = `${
          c.body
            ? show(new TextDecoder().decode(c.body.body.subarray(0, 120)))
            : `${documentOf(c.op).slice(0, 60)} ${show(variables)}`
        }${c.headers.length ? ` headers ${c.headers.map((h) => h.label).join(", ")}` : ""}`;
        const answer = `${status} ${outcome} ${show(result.errors[0]?.message ?? "")}`;
        if (result.failure) {
          tally.fail({ failure: result.failure, cause, where, request, outcome: answer });
        }
        // Limits are counted in code points: within one, clean text is not refused for length.
        const [only] = c.changes;
        if (
          c.changes.length === 1 && only?.limit && !c.body && c.headers.length === 0 &&
          CLEAN_KINDS.includes(only.limit.kind as TextKind)
        ) {
          const { codePoints, max } = only.limit;
          if (codePoints >= 1 && codePoints <= max && refusesField(result, only.path)) {
            tally.fail({
              failure: "refused within its code-point limit",
              cause: `${only.limit.kind} text`,
              where: `${c.op.field}.${only.path.join(".")}(${max})`,
              request,
              outcome: answer,
            });
          }
          if (codePoints > max && result.errors.length === 0) {
            tally.fail({
              failure: "accepted past its code-point limit",
              cause: `${only.limit.kind} text`,
              where: `${c.op.field}.${only.path.join(".")}(${max})`,
              request,
              outcome: answer,
            });
          }
        }
        // Text that cannot be stored faithfully (NUL, unpaired surrogates, invalid UTF-8) is refused.
        const unstorable = c.body
          ? UNSTORABLE_BODIES.has(c.body.label)
          : c.changes.length === 1 && only?.kind === "text" &&
            UNSTORABLE_TEXT.has(only.value.label);
        if (unstorable && result.wrote) {
          tally.fail({
            failure: "accepted text it cannot store",
            cause,
            where,
            request,
            outcome: answer,
          });
        }
        const freshUnchanged = c.op.freshPath && !c.body &&
          getPath(variables, c.op.freshPath) === c.fresh;
        const freshIds = [
          ...(freshUnchanged ? [c.fresh] : []),
          ...(c.body?.freshId ? [c.body.freshId] : []),
        ];
        const sentCorrelation = !c.headers.some((h) => h.name === "x-correlation-id");
        ledger.add({
          ...(sentCorrelation ? { correlationId: correlation } : {}),
          freshIds,
          accepted: result.wrote,
          request,
          outcome: answer,
          cause,
          where,
        });
      };

      const fuzzSeedValue = fuzzSeed(20_261_205);
      const numRuns = Math.ceil(CASES / BATCH);
      console.log(
        `GraphQL fuzz: seed ${fuzzSeedValue}, ${numRuns} batches of ${BATCH}, ${IN_FLIGHT} in flight`,
      );
      let batches = 0;
      const started = performance.now();
      await fc.assert(
        fc.asyncProperty(
          fc.array(caseArbitrary(seed), { minLength: BATCH, maxLength: BATCH }),
          async (batch) => {
            await forEachLimit(batch, IN_FLIGHT, send);
            const gone = SERVICES.filter((s) => !alive(system.pids[s]));
            if (gone.length > 0) {
              console.log(`${gone.join(", ")} died during this batch:`);
              for (const c of batch) console.log(`  ${describe(c)}`);
              assert.deepEqual(gone, [], `processes died after ${tally.cases} cases`);
            }
            if (++batches % LIVENESS_EVERY === 0) {
              const dead = await deadServices(system);
              assert.deepEqual(dead, [], `processes died after ${tally.cases} cases`);
              await ledger.check(system, tally);
            }
            return true;
          },
        ),
        { seed: fuzzSeedValue, numRuns, endOnFailure: true },
      );
      const seconds = (performance.now() - started) / 1000;
      // Let the saga finish what accepted orders started before the last write check.
      await new Promise((r) => setTimeout(r, 2000));
      await ledger.check(system, tally);
      const dead = await deadServices(system);
      console.log(tally.report("GraphQL fuzz"));
      console.log(
        `  ${tally.cases} requests in ${seconds.toFixed(1)} s (${
          (tally.cases / seconds).toFixed(0)
        }/s); UNAVAILABLE by kind: ${show(Object.fromEntries(unavailable))}; seed ${fuzzSeedValue}`,
      );
      assert.deepEqual(dead, [], "every process is alive and healthy after the run");
      assert.ok(tally.cases >= CASES, `sent ${tally.cases} of ${CASES} requests`);
      assert.deepEqual(
        tally.groups().map((g) => `${g.group} (x${g.count})`),
        [],
        `no failure${warningsOf(system, ["gateway", "command", "query"])}`,
      );
    } finally {
      await system.close();
    }
  },
});
