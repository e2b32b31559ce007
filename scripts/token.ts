/**
 * `deno task token --sub alice --role admin [--role …] [--ttl 1h]`: prints a
 * bearer token for the gateway, signed with JWT_SECRET (or, for `deno task
 * dev`, the development secret when JWT_SECRET is unset), carrying JWT_ISSUER
 * and JWT_AUDIENCE when set. `--ttl` takes seconds or 30s, 15m, 1h, 1d.
 */
import { parseArgs } from "node:util";
import { DEFAULT_MAX_LIFETIME_S, isRole, type Role } from "@shared/auth/mod.ts";
import { DEVELOPMENT_SECRET, signToken } from "../services/gateway/auth.ts";

const units: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600, d: 86_400 };

function fail(message: string): never {
  console.error(message);
  Deno.exit(2);
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sub: { type: "string", default: "admin" },
    role: { type: "string", multiple: true, default: [] },
    ttl: { type: "string", default: "1h" },
  },
});
const ttl = /^(\d{1,7})([smhd]?)$/.exec(values.ttl!);
if (!ttl) fail(`--ttl "${values.ttl}": must be seconds, or a number with s, m, h or d`);
const ttlSeconds = Number(ttl[1]) * units[ttl[2]!]!;
const maxLifetime = Number(Deno.env.get("JWT_MAX_LIFETIME_S") || DEFAULT_MAX_LIFETIME_S);
if (ttlSeconds < 1 || ttlSeconds > maxLifetime) {
  fail(`--ttl "${values.ttl}": must be between 1 s and ${maxLifetime} s (JWT_MAX_LIFETIME_S)`);
}
const roles = values.role ?? [];
const unknown = roles.filter((r) => !isRole(r));
if (unknown.length) {
  fail(`--role "${unknown[0]}": must be one of customer, staff, admin`);
}
const secret = Deno.env.get("JWT_SECRET") || DEVELOPMENT_SECRET;
const issuer = Deno.env.get("JWT_ISSUER");
const audience = Deno.env.get("JWT_AUDIENCE");
console.log(
  await signToken({ sub: values.sub!, roles: roles as Role[] }, {
    secret,
    ttlSeconds,
    ...(issuer ? { issuer } : {}),
    ...(audience ? { audience } : {}),
  }),
);
