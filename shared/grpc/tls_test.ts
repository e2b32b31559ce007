import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { loadConfig } from "@shared/config/mod.ts";
import { checkServerTls, grpcTlsVars, serverTlsOf } from "./tls.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

const serverSchema = z.object(grpcTlsVars).superRefine((c, ctx) =>
  checkServerTls(c, (path, message) => ctx.addIssue({ code: "custom", path: [path], message }))
);

/** The error message of loading `env`, or "" when it loads. */
function problem(env: Record<string, string>): string {
  try {
    loadConfig(serverSchema, env);
    return "";
  } catch (err) {
    return (err as Error).message;
  }
}

let dir = "";
const file = (name: string) => `${dir}/${name}`;

Deno.test({
  name: "gRPC TLS settings: files are read and checked at start-up, each problem named",
  fn: async (t) => {
    dir = await Deno.makeTempDir({ prefix: "cqrs-certs-" });
    try {
      const made = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", "scripts/certs.ts", "--out", dir],
        cwd: root,
        stdout: "null",
      }).output();
      assert.ok(made.success);

      await t.step("nothing set is plaintext", () => {
        assert.equal(serverTlsOf(loadConfig(serverSchema, {})), undefined);
      });

      await t.step("a complete mutual TLS set loads, with the files' text", async () => {
        const tls = serverTlsOf(loadConfig(serverSchema, {
          GRPC_TLS_CA: file("ca.crt"),
          GRPC_TLS_CERT: file("server.crt"),
          GRPC_TLS_KEY: file("server.key"),
          GRPC_TLS_CLIENT_AUTH: "require",
        }));
        assert.equal(tls?.cert, await Deno.readTextFile(file("server.crt")));
        assert.equal(tls?.requireClientCert, true);
      });

      await t.step("a missing file names the variable and how to get one", () => {
        assert.equal(
          problem({ GRPC_TLS_CA: `${dir}/nope.crt`, GRPC_TLS_CERT: file("server.crt") }),
          `Invalid configuration: GRPC_TLS_CA="${dir}/nope.crt": no such file; set it to the ` +
            "path of a PEM file (`deno task certs` makes development ones)",
        );
      });

      await t.step("a file that is no certificate or no key is refused", () => {
        assert.match(
          problem({ GRPC_TLS_CERT: file("server.key"), GRPC_TLS_KEY: file("server.key") }),
          /GRPC_TLS_CERT=".*": holds no readable PEM certificate/,
        );
        assert.equal(
          problem({ GRPC_TLS_CERT: file("server.crt"), GRPC_TLS_KEY: file("server.crt") }),
          "Invalid configuration: GRPC_TLS_KEY (value hidden): holds no readable private key " +
            "(expected an unencrypted PEM key)",
        );
      });

      await t.step("a key of another certificate is refused", () => {
        assert.equal(
          problem({ GRPC_TLS_CERT: file("server.crt"), GRPC_TLS_KEY: file("client.key") }),
          "Invalid configuration: GRPC_TLS_KEY (value hidden): does not belong to the " +
            "certificate in GRPC_TLS_CERT",
        );
      });

      await t.step("half a pair, or mutual TLS without TLS or a CA, is refused", () => {
        assert.match(
          problem({ GRPC_TLS_CERT: file("server.crt") }),
          /GRPC_TLS_KEY="": is required when GRPC_TLS_CERT is set/,
        );
        const message = problem({ GRPC_TLS_CLIENT_AUTH: "require" });
        assert.match(message, /GRPC_TLS_CERT="": is required by GRPC_TLS_CLIENT_AUTH=require/);
        assert.match(message, /GRPC_TLS_CA="": is required by GRPC_TLS_CLIENT_AUTH=require/);
        assert.match(problem({ GRPC_TLS_CLIENT_AUTH: "yes" }), /must be none or require/);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
