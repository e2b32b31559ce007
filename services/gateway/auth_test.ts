import assert from "node:assert/strict";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { DEVELOPMENT_SECRET } from "@shared/auth/mod.ts";
import { ConfigError } from "@shared/config/mod.ts";
import type { CallMetadata } from "@shared/grpc/mod.ts";
import { bearer } from "@shared/testing/auth.ts";
import {
  LONE_GATEWAY as base,
  postGraphQL,
  withLoneGateway as withGateway,
} from "@shared/testing/lone_gateway.ts";
import { createGateway, type Gateway } from "./app.ts";

// A lone gateway: a request that passes authentication meets UNAVAILABLE.
const strongSecret = "pX3v9QeR1tYb7NcK2mLs8WdF4gHj6ZaU0oIy5TrE+Bk=";
const AUDIT = `{ events(limit: 1) { nextAfter } }`;
const CREATE = `mutation { createCategory(input: {name: "Shoes"}) { id } }`;

async function post(gateway: Gateway, query: string, headers: Record<string, string> = {}) {
  const body = await postGraphQL(gateway, query, { headers });
  return { status: body.status, code: body.errors?.[0]?.extensions?.code, body };
}

/** Records the metadata every category command is sent with. */
function recordCommandMetadata(gateway: Gateway): CallMetadata[] {
  const seen: CallMetadata[] = [];
  const commands = gateway.clients.categoryCommands as unknown as Record<string, unknown>;
  const original = commands.createCategory as (...args: unknown[]) => unknown;
  commands.createCategory = (input: unknown, options: { metadata?: CallMetadata }) => {
    seen.push({ ...options?.metadata });
    return original(input, options);
  };
  return seen;
}

Deno.test("the gateway forwards only the verified bearer token: X-User-Id is ignored", async () => {
  await withGateway({}, async (gw) => {
    const seen = recordCommandMetadata(gw);
    await post(gw, CREATE, { "x-user-id": "eve" });
    const alice = await bearer("alice", ["staff"]);
    await post(gw, CREATE, { "x-user-id": "eve", ...alice });
    assert.equal(seen.length, 2);
    assert.equal(seen[0]!.authorization, undefined, "an anonymous request sends no identity");
    assert.equal(seen[0]!.userId, undefined);
    assert.equal(seen[1]!.authorization, alice.authorization);
    assert.equal(seen[1]!.userId, "alice", "the verified subject, never the header");
  });
});

Deno.test("development mode verifies tokens signed with the development secret", async () => {
  await withGateway({}, async (gw) => {
    assert.equal((await post(gw, AUDIT)).code, "UNAUTHENTICATED");
    assert.equal((await post(gw, AUDIT, await bearer("bob", ["customer"]))).code, "FORBIDDEN");
    // Past authentication and authorisation, the admin meets the unreachable service.
    assert.equal((await post(gw, AUDIT, await bearer("alice", ["admin"]))).code, "UNAVAILABLE");
  });
});

Deno.test("the gateway refuses forged, expired, exp-less and overlong tokens with 401", async () => {
  await withGateway({ auth: { secret: strongSecret, maxLifetimeSeconds: 3600 } }, async (gw) => {
    const key = new TextEncoder().encode(strongSecret);
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT({ sub: "eve", roles: ["admin"], ...claims })
        .setProtectedHeader({ alg: "HS256" }).sign(key);
    const tokens = {
      forged: (await bearer("eve", ["admin"], DEVELOPMENT_SECRET)).authorization.slice(7),
      expired: await sign({ iat: now - 600, exp: now - 300 }),
      noExp: await sign({ iat: now }),
      tooLong: await sign({ iat: now, exp: now + 7200 }),
    };
    for (const [name, token] of Object.entries(tokens)) {
      const res = await post(gw, AUDIT, { authorization: `Bearer ${token}` });
      assert.equal(res.status, 401, name);
      assert.equal(res.code, "UNAUTHENTICATED", name);
    }
    const malformed = await post(gw, AUDIT, { authorization: "Basic YWxpY2U6cHc=" });
    assert.equal(malformed.status, 401);
    const ok = await post(gw, AUDIT, await bearer("alice", ["admin"], strongSecret));
    assert.equal(ok.code, "UNAVAILABLE");
  });
});

Deno.test("production refuses a weak JWT_SECRET by name, never printing it", async () => {
  for (const secret of ["a".repeat(32), "abc".repeat(12), DEVELOPMENT_SECRET]) {
    await assert.rejects(
      () => createGateway({ ...base, mode: "production", auth: { secret } }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.match(err.message, /JWT_SECRET/);
        assert.ok(!err.message.includes(secret.slice(0, 12)), err.message);
        return true;
      },
    );
  }
  await assert.rejects(() => createGateway({ ...base, mode: "production" }), /JWT_SECRET/);
});

Deno.test("production accepts a key set alone and verifies its tokens", async () => {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" };
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    () => Response.json({ keys: [jwk] }),
  );
  try {
    const jwksUrl = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/jwks`;
    await withGateway(
      { mode: "production", auth: { jwksUrl, issuer: "https://id", audience: "shop" } },
      async (gw) => {
        const token = await new SignJWT({ roles: ["admin"] }).setProtectedHeader({
          alg: "ES256",
          kid: "k1",
        }).setSubject("alice").setIssuer("https://id").setAudience("shop").setIssuedAt()
          .setExpirationTime("5m").sign(privateKey);
        const ok = await post(gw, AUDIT, { authorization: `Bearer ${token}` });
        assert.equal(ok.code, "UNAVAILABLE");
        // The development secret means nothing to a production gateway.
        const dev = await post(gw, AUDIT, await bearer("eve", ["admin"]));
        assert.equal(dev.status, 401);
      },
    );
  } finally {
    await server.shutdown();
  }
});
