import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { categoryQueries } from "@proto/query/v1/contract.ts";
import { NotFoundError } from "@shared/errors/mod.ts";
import { createLogger } from "@shared/log/mod.ts";
import { bind, type ServiceBinding, startGrpcServer } from "./server.ts";

/** The reflection protocol's own proto, as the @grpc/reflection package ships it. */
function reflectionProto(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve("@grpc/reflection");
  return join(dirname(main), "..", "proto", "grpc", "reflection", "v1", "reflection.proto");
}

Deno.test("a gRPC server lists its services to generic tools through server reflection", async () => {
  const refuse = () => Promise.reject(new NotFoundError("not in this test"));
  const handlers = Object.fromEntries(
    Object.keys(categoryQueries.methods).map((k) => [k, refuse]),
  ) as never;
  const server = await startGrpcServer([bind(categoryQueries, handlers) as ServiceBinding], {
    host: "127.0.0.1",
    port: 0,
    logger: createLogger("test"),
  });
  const definition = protoLoader.loadSync(reflectionProto(), { keepCase: true });
  const Reflection = grpc.loadPackageDefinition(definition).grpc as unknown as {
    reflection: { v1: { ServerReflection: typeof grpc.Client } };
  };
  const client = new Reflection.reflection.v1.ServerReflection(
    `127.0.0.1:${server.port}`,
    grpc.credentials.createInsecure(),
  ) as grpc.Client & { ServerReflectionInfo(): grpc.ClientDuplexStream<unknown, unknown> };
  try {
    const call = client.ServerReflectionInfo();
    const answer = new Promise<{ list_services_response: { service: { name: string }[] } }>(
      (resolve, reject) => {
        call.on("data", (d) => resolve(d as never));
        call.on("error", reject);
      },
    );
    call.write({ list_services: "" });
    const names = (await answer).list_services_response.service.map((s) => s.name);
    call.end();
    assert.ok(names.includes("cqrs.query.v1.CategoryQueries"), names.join(", "));
    assert.ok(names.includes("grpc.health.v1.Health"), names.join(", "));
  } finally {
    client.close();
    await server.shutdown();
  }
});
