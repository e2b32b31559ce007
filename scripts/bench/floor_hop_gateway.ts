/**
 * The gateway half of the "gRPC hop" floor: graphql-yoga on Deno.serve with
 * the floors' schema (`floor_schema.ts`), each operation one bare grpc-js call to
 * `floor_hop_service.ts` (no validation, retries, circuit breaker, metrics or
 * tracing).
 *
 * Env: PORT, HOP_ADDRESS (`host:port` of the service half).
 */
import * as grpc from "@grpc/grpc-js";
import { productCommands } from "@proto/command/v1/contract.ts";
import { productQueries } from "@proto/query/v1/contract.ts";
import { serviceDefinition } from "@shared/grpc/proto.ts";
import type { FloorProduct } from "./floor_data.ts";
import { serveFloor } from "./floor_schema.ts";

type Unary = (
  request: unknown,
  callback: (err: grpc.ServiceError | null, response: Record<string, unknown>) => void,
) => void;

function client(contract: { protoFile: string; service: string }): Record<string, Unary> {
  const Ctor = grpc.makeGenericClientConstructor(
    serviceDefinition(contract.protoFile, contract.service),
    contract.service,
  );
  const raw = new Ctor(Deno.env.get("HOP_ADDRESS")!, grpc.credentials.createInsecure());
  return raw as unknown as Record<string, Unary>;
}

const call = (c: Record<string, Unary>, method: string, request: unknown) =>
  new Promise<Record<string, unknown>>((resolve, reject) =>
    c[method]!.call(c, request, (err, response) => err ? reject(err) : resolve(response))
  );

const queries = client(productQueries);
const commands = client(productCommands);
serveFloor({
  async product(id) {
    const { product } = await call(queries, "getProduct", { id }) as {
      product?: { id: string; name: string; price: string; stock: number; categoryName?: string };
    };
    return product ? { ...product, category: { name: product.categoryName ?? null } } : null;
  },
  async createProduct(input) {
    const result = await call(commands, "createProduct", input);
    return JSON.parse(String(result.state)) as FloorProduct;
  },
});
