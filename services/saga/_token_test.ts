import assert from "node:assert/strict";
import { createTokenVerifier } from "@shared/auth/mod.ts";
import { SagaTokens } from "./_token.ts";

const secret = "Jq2vXx7mQ0rB8sYc4kTn1LdWz5uHf9Ge3aPiVoR6yMk=";

Deno.test("the saga's token is its service identity, with the order's tenant, and is reused", async () => {
  const tokens = new SagaTokens({ secret, issuer: "shop", audience: "api", ttlSeconds: 120 });
  const verifier = createTokenVerifier({ secret, issuer: "shop", audience: "api" });
  const withTenant = await tokens.authorization("tenant-1");
  assert.match(withTenant, /^Bearer /);
  assert.deepEqual(await verifier.verify(withTenant.slice(7)), {
    subject: "saga",
    roles: ["staff"],
    tenant: "tenant-1",
    service: true,
  });
  assert.equal(await tokens.authorization("tenant-1"), withTenant, "reused within its life");
  const none = await tokens.authorization();
  assert.notEqual(none, withTenant);
  assert.equal((await verifier.verify(none.slice(7))).tenant, undefined);
  // Signed with another secret, the command service refuses it.
  const other = await new SagaTokens({ secret: `${secret}x` }).authorization();
  await assert.rejects(verifier.verify(other.slice(7)), /signature/);
});
