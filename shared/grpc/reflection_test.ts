import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { Buffer } from "node:buffer";
import descriptor from "protobufjs/ext/descriptor/index.js";
import { categoryQueries } from "@proto/query/v1/contract.ts";
import { NotFoundError } from "@shared/errors/mod.ts";
import { createLogger } from "@shared/log/mod.ts";
import { bind, type ServiceBinding, startGrpcServer } from "./server.ts";

/** The parts of a FileDescriptorProto the test reads. */
interface FileDescriptor {
  name: string;
  service: { name: string; method: { name: string; inputType: string }[] }[];
  messageType: { name: string; field: { name: string; number: number }[] }[];
}

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
    assert.ok(names.includes("cqrs.query.v1.CategoryQueries"), names.join(", "));
    assert.ok(names.includes("grpc.health.v1.Health"), names.join(", "));

    // What `grpcurl describe` asks next: the file that declares the service, generated from
    // the contracts, with its RPCs and their messages.
    const file = new Promise<{ file_descriptor_response: { file_descriptor_proto: Buffer[] } }>(
      (resolve, reject) => {
        call.once("data", (d) => resolve(d as never));
        call.on("error", reject);
      },
    );
    call.write({ file_containing_symbol: "cqrs.query.v1.CategoryQueries" });
    const files = (await file).file_descriptor_response.file_descriptor_proto.map((b) =>
      descriptor.FileDescriptorProto.decode(b) as unknown as FileDescriptor
    );
    call.end();
    const declaring = files.find((f) => f.service.some((s) => s.name === "CategoryQueries"));
    assert.equal(declaring?.name, "query/v1/query.proto");
    const service = declaring!.service.find((s) => s.name === "CategoryQueries")!;
    const getCategory = service.method.find((m) => m.name === "GetCategory");
    assert.equal(getCategory?.inputType, ".cqrs.query.v1.IdRequest");
    const category = declaring!.messageType.find((m) => m.name === "Category");
    assert.deepEqual(
      category?.field.slice(0, 3).map((f) => [f.name, f.number]),
      [["id", 1], ["name", 2], ["description", 3]],
    );
  } finally {
    client.close();
    await server.shutdown();
  }
});
