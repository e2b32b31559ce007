import assert from "node:assert/strict";
import { base64url, SignJWT, UnsecuredJWT } from "jose";
import { UnauthenticatedError } from "@shared/errors/mod.ts";
import { hasRole } from "./principal.ts";
import { signServiceToken } from "./sign.ts";
import { createTokenVerifier } from "./verify.ts";

const secret = "Jq2vXx7mQ0rB8sYc4kTn1LdWz5uHf9Ge3aPiVoR6yMk=";
const key = new TextEncoder().encode(secret);
const now = () => Math.floor(Date.now() / 1000);
const verifier = createTokenVerifier({ secret });

/** A token with exactly these claims (no defaults), signed HS256 with `signingKey`. */
async function token(claims: Record<string, unknown>, signingKey = key): Promise<string> {
  return await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(signingKey);
}

async function refusal(v: typeof verifier, jwt: string): Promise<string> {
  try {
    await v.verify(jwt);
  } catch (err) {
    assert.ok(err instanceof UnauthenticatedError, String(err));
    return err.message;
  }
  assert.fail("the token was accepted");
}

Deno.test("a service token verifies into its principal", async () => {
  const jwt = await signServiceToken({ subject: "saga", roles: ["staff"], tenant: "t1" }, {
    secret,
  });
  const principal = await verifier.verify(jwt);
  assert.deepEqual(principal, { subject: "saga", roles: ["staff"], tenant: "t1" });
  assert.ok(hasRole(principal, "customer") && hasRole(principal, "staff"));
  assert.ok(!hasRole(principal, "admin"));
});

Deno.test("only a token signed as a service identity with the HS256 secret is a service", async () => {
  const service = await signServiceToken(
    { subject: "saga", roles: ["staff"], service: true },
    { secret },
  );
  assert.deepEqual(await verifier.verify(service), {
    subject: "saga",
    roles: ["staff"],
    service: true,
  });
  const user = await signServiceToken({ subject: "saga", roles: ["admin"] }, { secret });
  assert.equal((await verifier.verify(user)).service, undefined);
  // The claim must be exactly true.
  const loose = await token({ sub: "saga", exp: now() + 60, service: "true" });
  assert.equal((await verifier.verify(loose)).service, undefined);
});

Deno.test("roles come from the claims: unknown ones dropped, none means customer", async () => {
  const exp = now() + 60;
  const p1 = await verifier.verify(
    await token({ sub: "a", exp, roles: ["admin", "root", 7, "anonymous"] }),
  );
  assert.deepEqual(p1.roles, ["admin"]);
  const p2 = await verifier.verify(await token({ sub: "b", exp }));
  assert.deepEqual(p2.roles, ["customer"]);
  const keycloak = await token({ sub: "c", exp, realm_access: { roles: ["staff"] } });
  assert.deepEqual((await verifier.verify(keycloak)).roles, ["staff"]);
  const custom = createTokenVerifier({ secret, rolesClaim: "https://shop.example/roles" });
  const auth0 = await token({ sub: "d", exp, "https://shop.example/roles": ["admin"] });
  assert.deepEqual((await custom.verify(auth0)).roles, ["admin"]);
  const entra = await token({ sub: "e", exp, roles: ["staff"], tid: "tenant-9" });
  assert.equal((await verifier.verify(entra)).tenant, "tenant-9");
});

Deno.test("a token without a usable subject is refused", async () => {
  const exp = now() + 60;
  assert.match(await refusal(verifier, await token({ exp })), /sub/);
  assert.match(await refusal(verifier, await token({ exp, sub: "a b" })), /sub/);
  assert.match(await refusal(verifier, await token({ exp, sub: "x".repeat(300) })), /sub/);
});

Deno.test("an expired token is refused", async () => {
  const jwt = await token({ sub: "a", iat: now() - 7200, exp: now() - 3600 });
  assert.match(await refusal(verifier, jwt), /expired/);
});

Deno.test("a token without exp is refused", async () => {
  assert.match(await refusal(verifier, await token({ sub: "a", iat: now() })), /exp/);
});

Deno.test("a token valid for longer than the largest lifetime is refused", async () => {
  const century = await token({ sub: "a", iat: now(), exp: now() + 100 * 365 * 86400 });
  assert.match(await refusal(verifier, century), /longer than 86400 s/);
  // Without iat, the lifetime left counts.
  assert.match(await refusal(verifier, await token({ sub: "a", exp: now() + 90000 })), /longer/);
  // A late iat cannot hide a far exp.
  const late = await token({ sub: "a", iat: now() + 99 * 86400, exp: now() + 100 * 86400 });
  assert.match(await refusal(verifier, late), /future/);
  const short = createTokenVerifier({ secret, maxLifetimeSeconds: 600 });
  const hour = await signServiceToken({ subject: "a", roles: [] }, { secret, ttlSeconds: 3600 });
  assert.match(await refusal(short, hour), /longer than 600 s/);
  assert.equal((await verifier.verify(hour)).subject, "a");
});

Deno.test("a token signed with another secret is refused", async () => {
  const forged = await token(
    { sub: "eve", roles: ["admin"], exp: now() + 60 },
    new TextEncoder().encode("x".repeat(40)),
  );
  assert.match(await refusal(verifier, forged), /signature/);
});

Deno.test("alg none is refused, even with a valid-looking signature part", async () => {
  const unsigned = new UnsecuredJWT({ sub: "eve", roles: ["admin"] }).setExpirationTime("1h")
    .encode();
  assert.match(await refusal(verifier, unsigned), /unsigned/);
  const [, payload] = unsigned.split(".");
  const header = base64url.encode(JSON.stringify({ alg: "HS256" }));
  assert.match(await refusal(verifier, `${header}.${payload}.`), /signature|JWS|invalid/i);
});

Deno.test("HS384 and RS256 tokens are refused when only a secret is configured", async () => {
  const hs384 = await new SignJWT({ sub: "a", exp: now() + 60 })
    .setProtectedHeader({ alg: "HS384" }).sign(key);
  assert.match(await refusal(verifier, hs384), /algorithm/);
  const header = base64url.encode(JSON.stringify({ alg: "RS256", kid: "k" }));
  const body = base64url.encode(JSON.stringify({ sub: "a", exp: now() + 60 }));
  assert.match(await refusal(verifier, `${header}.${body}.c2ln`), /algorithm/);
});

Deno.test("issuer and audience are checked when configured", async () => {
  const strict = createTokenVerifier({ secret, issuer: "https://id.shop", audience: "shop-api" });
  const right = await signServiceToken({ subject: "a", roles: [] }, {
    secret,
    issuer: "https://id.shop",
    audience: "shop-api",
  });
  assert.equal((await strict.verify(right)).subject, "a");
  const wrongIssuer = await signServiceToken({ subject: "a", roles: [] }, {
    secret,
    issuer: "https://evil",
    audience: "shop-api",
  });
  assert.match(await refusal(strict, wrongIssuer), /iss/);
  const wrongAudience = await signServiceToken({ subject: "a", roles: [] }, {
    secret,
    issuer: "https://id.shop",
    audience: "other-api",
  });
  assert.match(await refusal(strict, wrongAudience), /aud/);
  const none = await signServiceToken({ subject: "a", roles: [] }, { secret });
  assert.match(await refusal(strict, none), /iss|aud/);
});

Deno.test("garbage is refused with UnauthenticatedError, never another error", async () => {
  for (const junk of ["", "abc", "a.b.c", "e30.e30.", "....", "\u0000", "x".repeat(10000)]) {
    await refusal(verifier, junk);
  }
});

Deno.test("a token verified before is answered from memory only while it is valid", async (t) => {
  const remembering = createTokenVerifier({ secret, clockToleranceSeconds: 0 });
  const jwt = await token({ sub: "u1", roles: ["staff"], exp: now() + 1 });
  const first = await remembering.verify(jwt);
  assert.deepEqual(first, { subject: "u1", roles: ["staff"] });
  await t.step("the same token again: the same principal, which no caller can change", async () => {
    const again = await remembering.verify(jwt);
    assert.equal(again, first);
    assert.ok(Object.isFrozen(again) && Object.isFrozen(again.roles));
  });
  await t.step("the same claims with another signature are still checked", async () => {
    const forged = jwt.slice(0, jwt.lastIndexOf(".") + 1) + base64url.encode("not the signature");
    assert.match(await refusal(remembering, forged), /signature does not verify/);
  });
  await t.step("once it has expired it is refused, though it was remembered", async () => {
    await new Promise((r) => setTimeout(r, 2100));
    assert.match(await refusal(remembering, jwt), /expired/);
  });
});

Deno.test("a verifier remembering nothing checks every token", async () => {
  const checking = createTokenVerifier({ secret, verifiedCacheSize: 0 });
  const jwt = await token({ sub: "u1", roles: ["staff"], exp: now() + 60 });
  const first = await checking.verify(jwt);
  assert.notEqual(await checking.verify(jwt), first);
});
