import * as protoLoader from "@grpc/proto-loader";
import type * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import "protobufjs/ext/descriptor/index.js";
import { protoText } from "./proto_text.ts";

/** How every service loads protos: camelCase fields, int64 as strings, defaults filled in. */
export const loaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

const cache = new Map<string, protoLoader.PackageDefinition>();

/**
 * Loads (once) the package definition of a proto file generated from the
 * contracts (see proto_text.ts), as @grpc/proto-loader would load the file.
 */
export function loadProto(file: string): protoLoader.PackageDefinition {
  let definition = cache.get(file);
  if (!definition) {
    const root = new protobuf.Root();
    const parsed = protobuf.parse(protoText(file), root, { keepCase: loaderOptions.keepCase });
    root.resolveAll();
    // Server reflection names the file its types come from.
    if (parsed.package) root.lookup(parsed.package)!.filename = file;
    const descriptors = (root as unknown as { toDescriptor(syntax: string): object })
      .toDescriptor("proto3");
    definition = protoLoader.loadFileDescriptorSetFromObject(descriptors, loaderOptions);
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
