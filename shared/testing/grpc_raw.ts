import * as grpc from "@grpc/grpc-js";
import { SignJWT, UnsecuredJWT } from "jose";
import { DEVELOPMENT_SECRET } from "@shared/auth/mod.ts";
import { serviceDefinition } from "@shared/grpc/proto.ts";
// The protos are generated from the contracts: these declare them.
import "@proto/command/v1/contract.ts";
import "@proto/query/v1/contract.ts";
import { bearer } from "./auth.ts";

/** One unary method of a {@link rawClient}, callback style as grpc-js has it. */
export type RawCall = (
  req: unknown,
  md: grpc.Metadata,
  cb: (err: grpc.ServiceError | null, res: { id?: string }) => void,
) => void;

/**
 * A plain grpc-js client of `service` (as named in `proto`, e.g.
 * `command/v1/command.proto`), so a test sends exactly the metadata it
 * names, forged keys included.
 */
export function rawClient(
  address: string,
  proto: string,
  service: string,
): grpc.Client & Record<string, RawCall> {
  const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(proto, service), service);
  return new Ctor(address, grpc.credentials.createInsecure()) as
    & grpc.Client
    & Record<string, RawCall>;
}

/** Calls `method` with exactly `headers` as metadata; resolves with the error or the answer's id. */
export function rawCall(
  client: Record<string, RawCall>,
  method: string,
  request: unknown,
  headers: Record<string, string> = {},
): Promise<{ err: grpc.ServiceError | null; id?: string | undefined }> {
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
  return new Promise((resolve) =>
    client[method]!(request, metadata, (err, res) => resolve({ err, id: res?.id }))
  );
}

const now = () => Math.floor(Date.now() / 1000);

/**
 * `authorization` values that must all be refused as UNAUTHENTICATED though
 * each claims the admin role: expired, signed with another key, `alg: none`,
 * without `exp`, and not a bearer token at all.
 */
export async function hostileTokens(): Promise<Record<string, string>> {
  const key = new TextEncoder().encode(DEVELOPMENT_SECRET);
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT({ sub: "eve", roles: ["admin"], ...claims })
      .setProtectedHeader({ alg: "HS256" }).sign(key);
  return {
    expired: `Bearer ${await sign({ iat: now() - 600, exp: now() - 300 })}`,
    wrongKey: (await bearer("eve", ["admin"], "another-secret-of-forty-characters-long!"))
      .authorization,
    algNone: `Bearer ${
      new UnsecuredJWT({ sub: "eve", roles: ["admin"] }).setExpirationTime("1h").encode()
    }`,
    noExp: `Bearer ${await sign({ iat: now() })}`,
    malformed: "Basic YWxpY2U6cHc=",
  };
}
