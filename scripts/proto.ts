/**
 * `deno task proto [DIR]`: writes the `.proto` files that the gRPC services
 * serve, generated from the zod contracts, under DIR (default `proto.out/`),
 * for clients that generate code from them (protoc, buf, grpcurl -proto). A
 * running service also answers server reflection with the same definitions.
 */
import { dirname, join } from "node:path";
import "@proto/command/v1/contract.ts";
import "@proto/query/v1/contract.ts";
import { protoFiles, protoText } from "@shared/grpc/proto_text.ts";

const out = Deno.args[0] ?? "proto.out";
if (Deno.args.length > 1 || out.startsWith("-")) {
  console.error("Usage: deno task proto [DIR]  (writes the generated .proto files under DIR)");
  Deno.exit(2);
}
for (const path of protoFiles()) {
  const target = join(out, path);
  try {
    Deno.mkdirSync(dirname(target), { recursive: true });
    Deno.writeTextFileSync(target, protoText(path));
  } catch (err) {
    console.error(`Cannot write ${target}: ${(err as Error).message}`);
    Deno.exit(1);
  }
  console.log(target);
}
