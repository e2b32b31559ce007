/**
 * `deno task token --sub alice --role admin [--role …] [--ttl 1h]`: prints a
 * bearer token for the gateway, signed with JWT_SECRET (or, for `deno task
 * dev`, the development secret when JWT_SECRET is unset).
 */
import { parseArgs } from "node:util";
import { DEVELOPMENT_SECRET, signToken } from "../services/gateway/auth.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sub: { type: "string", default: "admin" },
    role: { type: "string", multiple: true, default: [] },
    ttl: { type: "string", default: "1h" },
  },
});
const secret = Deno.env.get("JWT_SECRET") || DEVELOPMENT_SECRET;
const issuer = Deno.env.get("JWT_ISSUER");
console.log(
  await signToken({ sub: values.sub!, roles: values.role ?? [] }, {
    secret,
    expiresIn: values.ttl!,
    ...(issuer ? { issuer } : {}),
  }),
);
