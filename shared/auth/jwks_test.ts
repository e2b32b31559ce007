import assert from "node:assert/strict";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { UnauthenticatedError } from "@shared/errors/mod.ts";
import { createTokenVerifier, type VerifierOptions } from "./verify.ts";

const provider = { issuer: "https://id.shop/realms/shop", audience: "shop-api" };

type Alg = "RS256" | "ES256";
interface SigningKey {
  kid: string;
  alg: Alg;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string, alg: Alg): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

/** An identity provider's key set endpoint on a free port; `keys` is what it serves now. */
function serveKeySet(keys: SigningKey[]) {
  const state = { keys, fetches: 0 };
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, () => {
    state.fetches++;
    return Response.json({ keys: state.keys.map((k) => k.jwk) });
  });
  const url = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/.well-known/jwks.json`;
  return { state, url, close: () => server.shutdown() };
}

async function sign(key: SigningKey, claims: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT({
    sub: "kc-user-1",
    roles: ["staff"],
    iss: provider.issuer,
    aud: provider.audience,
    iat: now,
    exp: now + 300,
    ...claims,
  }).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
}

async function refusal(verify: Promise<unknown>): Promise<string> {
  try {
    await verify;
  } catch (err) {
    assert.ok(err instanceof UnauthenticatedError, String(err));
    return err.message;
  }
  assert.fail("the token was accepted");
}

async function withKeySet(
  keys: SigningKey[],
  options: Partial<VerifierOptions>,
  fn: (
    set: ReturnType<typeof serveKeySet>,
    verifier: ReturnType<typeof createTokenVerifier>,
  ) => Promise<void>,
): Promise<void> {
  const set = serveKeySet(keys);
  try {
    await fn(set, createTokenVerifier({ jwksUrl: set.url, ...provider, ...options }));
  } finally {
    await set.close();
  }
}

Deno.test("RS256 and ES256 tokens verify against the served key set", async () => {
  const rsa = await signingKey("rsa-1", "RS256");
  const ec = await signingKey("ec-1", "ES256");
  await withKeySet([rsa, ec], {}, async (_, verifier) => {
    assert.deepEqual(await verifier.verify(await sign(rsa)), {
      subject: "kc-user-1",
      roles: ["staff"],
    });
    assert.equal((await verifier.verify(await sign(ec))).subject, "kc-user-1");
  });
});

Deno.test("a provider's token claiming to be a service is a user's: only the services' secret signs services", async () => {
  const rsa = await signingKey("rsa-1", "RS256");
  await withKeySet(
    [rsa],
    { secret: "Jq2vXx7mQ0rB8sYc4kTn1LdWz5uHf9Ge3aPiVoR6yMk=" },
    async (_, v) => {
      const principal = await v.verify(await sign(rsa, { sub: "saga", service: true }));
      assert.equal(principal.subject, "saga");
      assert.equal(principal.service, undefined);
    },
  );
});

Deno.test("a token signed by a key outside the set is refused", async () => {
  const served = await signingKey("k1", "RS256");
  const stranger = await signingKey("k1", "RS256");
  const unknownKid = await signingKey("k9", "ES256");
  await withKeySet([served], { jwksCooldownSeconds: 0 }, async (_, verifier) => {
    assert.match(await refusal(verifier.verify(await sign(stranger))), /signature/);
    assert.match(await refusal(verifier.verify(await sign(unknownKid))), /no key/);
  });
});

Deno.test("wrong issuer, wrong audience, expired and no-exp tokens from the provider are refused", async () => {
  const key = await signingKey("k1", "ES256");
  await withKeySet([key], {}, async (_, verifier) => {
    assert.match(await refusal(verifier.verify(await sign(key, { iss: "https://evil" }))), /iss/);
    assert.match(await refusal(verifier.verify(await sign(key, { aud: "other" }))), /aud/);
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expired = await sign(key, { iat: past - 60, exp: past });
    assert.match(await refusal(verifier.verify(expired)), /expired/);
    const forever = await sign(key, { exp: undefined });
    assert.match(await refusal(verifier.verify(forever)), /exp/);
  });
});

Deno.test("an HS256 token is refused when only a key set is configured (no algorithm confusion)", async () => {
  const key = await signingKey("k1", "RS256");
  await withKeySet([key], {}, async (_, verifier) => {
    // Signed with the public key's own text as an HMAC secret: the classic confusion attack.
    const confused = await new SignJWT({ sub: "eve", roles: ["admin"] })
      .setProtectedHeader({ alg: "HS256", kid: "k1" })
      .setIssuer(provider.issuer).setAudience(provider.audience).setExpirationTime("5m")
      .sign(new TextEncoder().encode(JSON.stringify(key.jwk)));
    assert.match(await refusal(verifier.verify(confused)), /algorithm/);
  });
});

Deno.test("key rotation: a new kid is fetched, a removed kid is refused once the set refreshes", async () => {
  const old = await signingKey("2026-01", "RS256");
  const next = await signingKey("2026-02", "RS256");
  await withKeySet([old], { jwksCooldownSeconds: 0 }, async (set, verifier) => {
    const oldToken = await sign(old);
    assert.equal((await verifier.verify(oldToken)).subject, "kc-user-1");
    const fetches = set.state.fetches;

    // The provider publishes the next key beside the old one: a token with the new kid
    // makes the verifier fetch the set again, without waiting for the cache to age.
    set.state.keys = [old, next];
    assert.equal((await verifier.verify(await sign(next))).subject, "kc-user-1");
    assert.equal(set.state.fetches, fetches + 1);
    assert.equal((await verifier.verify(oldToken)).subject, "kc-user-1");

    // The provider retires the old key: once the set is refreshed, its tokens are refused.
    set.state.keys = [next];
    await verifier.refreshKeys();
    assert.match(await refusal(verifier.verify(oldToken)), /no key/);
    assert.equal((await verifier.verify(await sign(next))).subject, "kc-user-1");
  });
});

Deno.test("an unreachable key set refuses tokens as UNAUTHENTICATED, never crashes", async () => {
  const key = await signingKey("k1", "RS256");
  const set = serveKeySet([key]);
  await set.close();
  const verifier = createTokenVerifier({ jwksUrl: set.url, ...provider });
  assert.match(await refusal(verifier.verify(await sign(key))), /refused/);
});
