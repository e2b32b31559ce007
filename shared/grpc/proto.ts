import * as protoLoader from "@grpc/proto-loader";
import type * as grpc from "@grpc/grpc-js";
import { fileURLToPath } from "node:url";

const protoRoot = fileURLToPath(new URL("../../proto/", import.meta.url));

/** How every service loads protos: camelCase fields, int64 as strings, defaults filled in. */
export const loaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoRoot],
};

const cache = new Map<string, protoLoader.PackageDefinition>();

/** Loads (once) the package definition of a proto file under `proto/`. */
export function loadProto(file: string): protoLoader.PackageDefinition {
  let definition = cache.get(file);
  if (!definition) {
    definition = protoLoader.loadSync(file, loaderOptions);
    cache.set(file, definition);
  }
  return definition;
}

/** The service definition of a fully qualified service in a proto file. */
export function serviceDefinition(file: string, service: string): grpc.ServiceDefinition {
  const found = loadProto(file)[service];
  if (!found || "format" in found) {
    throw new Error(`Service "${service}" is not declared in proto/${file}`);
  }
  return found as grpc.ServiceDefinition;
}
