/**
 * Hostile input against the real processes: raw bytes to the command service
 * over gRPC and odd values through the gateway are refused as VALIDATION
 * naming the field, nothing is written, and the command service still answers.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { DEVELOPMENT_SECRET, signToken } from "../../services/gateway/auth.ts";
import { decodeStatusDetails } from "@shared/grpc/status_details.ts";
import { bearer } from "@shared/testing/auth.ts";
import { gql, type GraphQLResponse } from "@shared/testing/graphql.ts";
import { startTestSystem } from "@shared/testing/system.ts";

const CREATE_CATEGORY = "/cqrs.command.v1.CategoryCommands/CreateCategory";

/**
 * One raw client per address for the whole test, closed at its end. Deno's
 * node:http2 server can abort on a client's GOAWAY that follows a finished
 * call closely (denoland/deno#36788); the supervisor then restarts the
 * service, but a test that closes a client after every call would measure
 * that bug rather than the refusal it names.
 */
const rawClients = new Map<string, grpc.Client>();

/** Sends `bytes` as the raw request of a unary RPC; resolves with the status it ends with. */
function rawCall(
  address: string,
  path: string,
  bytes: Uint8Array,
  authorization?: string,
): Promise<{ code: grpc.status; details: string; metadata: grpc.Metadata | undefined }> {
  let client = rawClients.get(address);
  if (!client) {
    client = new grpc.Client(address, grpc.credentials.createInsecure());
    rawClients.set(address, client);
  }
  const metadata = new grpc.Metadata();
  if (authorization) metadata.set("authorization", authorization);
  return new Promise((resolve) => {
    client!.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(bytes),
      metadata,
      { deadline: Date.now() + 10_000 },
      (err) => {
        resolve(
          err
            ? { code: err.code, details: err.details, metadata: err.metadata }
            : { code: grpc.status.OK, details: "", metadata: undefined },
        );
      },
    );
  });
}

/** A protobuf length-delimited field: tag, length, bytes. */
function field(number: number, bytes: number[]): number[] {
  return [(number << 3) | 2, bytes.length, ...bytes];
}

const utf8 = (text: string) => [...new TextEncoder().encode(text)];

const CREATE = `mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id } }`;

function validation(res: GraphQLResponse, field: RegExp): void {
  const error = res.errors?.[0];
  assert.ok(error, `expected an error, got ${JSON.stringify(res)}`);
  assert.equal(error.extensions?.code, "VALIDATION", JSON.stringify(res.errors));
  const fields = (error.extensions?.fields as { field: string }[] | undefined) ?? [];
  assert.ok(
    fields.some((f) => field.test(f.field)),
    `no field matching ${field} in ${JSON.stringify(res.errors)}`,
  );
}

Deno.test("hostile input is refused at the edges and the command service survives it", async (t) => {
  const system = await startTestSystem({ LOG_LEVEL: "error" });
  const url = system.gatewayUrl;
  const staff = await bearer("clerk", ["staff"]);
  const address = `127.0.0.1:${system.ports.command}`;
  const eventCount = async () =>
    Number((await system.db.eventStore`SELECT count(*)::int AS n FROM events`)[0]!.n);
  const answers = async () => {
    const res = await gql<{ createCategory: { id: string } }>(url, CREATE, {
      input: { name: `Still here ${crypto.randomUUID()}` },
    }, staff);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  };
  try {
    await t.step("raw gRPC bytes that would change the text are INVALID_ARGUMENT", async () => {
      const before = await eventCount();
      const cases: [string, number[]][] = [
        ["a truncated name", [0x12, 0x7f, 0x41]],
        ["invalid UTF-8 in the name", field(2, [0x41, 0xff, 0xfe, 0x42])],
        ["a NUL in the name", field(2, utf8("A\u0000B"))],
        ["a name of 101 emoji", field(2, utf8("😀".repeat(101)))],
      ];
      for (const [label, bytes] of cases) {
        const status = await rawCall(
          address,
          CREATE_CATEGORY,
          new Uint8Array(bytes),
          staff.authorization,
        );
        assert.equal(status.code, grpc.status.INVALID_ARGUMENT, `${label}: ${status.details}`);
        assert.match(status.details, /name/, label);
      }
      assert.equal(await eventCount(), before);
      await answers();
    });

    await t.step(
      "a duplicate name is ALREADY_EXISTS, its details in google.rpc.Status",
      async () => {
        const bytes = new Uint8Array(field(2, utf8(`Dup ${crypto.randomUUID()}`)));
        assert.equal(
          (await rawCall(address, CREATE_CATEGORY, bytes, staff.authorization)).code,
          grpc.status.OK,
        );
        const before = await eventCount();
        const again = await rawCall(address, CREATE_CATEGORY, bytes, staff.authorization);
        assert.equal(again.code, grpc.status.ALREADY_EXISTS, again.details);
        const details = decodeStatusDetails(
          again.metadata?.get("grpc-status-details-bin")[0] as Uint8Array,
        );
        assert.equal(details?.reason, "CONFLICT");
        assert.equal(details?.details.field, "name");
        assert.equal(await eventCount(), before);
      },
    );

    await t.step("51 emoji make a valid name: one length rule on both sides", async () => {
      const name = "😀".repeat(51);
      const res = await gql<{ createCategory: { id: string } }>(
        url,
        CREATE,
        { input: { name } },
        staff,
      );
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      const again = await gql(url, CREATE, { input: { name } }, staff);
      assert.equal(again.errors?.[0]?.extensions?.code, "CONFLICT", JSON.stringify(again));
      await answers();
    });

    await t.step("text the store would change is VALIDATION naming the field", async () => {
      const before = await eventCount();
      for (const name of ["\uD800", "A\u0000B", "\u0007bell", "ok\uDC00"]) {
        validation(await gql(url, CREATE, { input: { name } }, staff), /name/);
      }
      validation(
        await gql(url, CREATE, { input: { name: "Fine", description: "a\u0000b" } }, staff),
        /description/,
      );
      assert.equal(await eventCount(), before);
      await answers();
    });

    await t.step("variables of the wrong type are VALIDATION naming the variable", async () => {
      const before = await eventCount();
      const setStock = `mutation ($q: Int!) {
        setStock(input: { productId: "${crypto.randomUUID()}", quantity: $q }) { id }
      }`;
      for (const q of [2 ** 31, 1.5, "10"]) {
        const res = await gql(url, setStock, { q }, staff);
        assert.equal(res.errors?.[0]?.extensions?.code, "VALIDATION", JSON.stringify(res));
        assert.match(res.errors![0]!.message, /\$q/);
      }
      const createProduct = `mutation ($price: String!) {
        createProduct(input: { name: "P", price: $price, categoryId: "${crypto.randomUUID()}" }) {
          id
        }
      }`;
      const res = await gql(url, createProduct, { price: 5.5 }, staff);
      assert.equal(res.errors?.[0]?.extensions?.code, "VALIDATION", JSON.stringify(res));
      assert.match(res.errors![0]!.message, /\$price/);
      assert.equal(await eventCount(), before);
    });

    await t.step("positions past a 64-bit integer are VALIDATION", async () => {
      const admin = await signToken({ sub: "admin", roles: ["admin"] }, {
        secret: DEVELOPMENT_SECRET,
        ttlSeconds: 3600,
      });
      const events = `query ($after: String) { events(after: $after) { nextAfter } }`;
      for (const after of ["1:99999999999999999999", "9223372036854775808:1"]) {
        const res = await gql(url, events, { after }, { authorization: `Bearer ${admin}` });
        validation(res, /after/);
      }
      const res = await gql(url, `{ categories { id } }`, {}, {
        "x-consistency-token": "1:99999999999999999999",
      });
      validation(res, /X-Consistency-Token/i);
    });

    await t.step("headers that are not ASCII are refused with 400 naming the header", async () => {
      const before = await eventCount();
      for (
        const header of ["x-correlation-id", "traceparent", "x-user-id", "x-consistency-token"]
      ) {
        const res = await fetch(`${url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", ...staff, [header]: "caf\u00e9" },
          body: JSON.stringify({ query: CREATE, variables: { input: { name: "Header" } } }),
        });
        const body = await res.json() as GraphQLResponse;
        assert.equal(res.status, 400, `${header}: ${JSON.stringify(body)}`);
        validation(body, new RegExp(header, "i"));
      }
      assert.equal(await eventCount(), before);
      await answers();
    });
  } finally {
    for (const client of rawClients.values()) client.close();
    rawClients.clear();
    await system.close();
  }
});
