/**
 * The service half of the "gRPC hop" floor: a bare grpc-js server on the
 * project's protos (ProductQueries.GetProduct, ProductCommands.CreateProduct),
 * each call one statement (see `floor_data.ts`), with none of the services'
 * checks, metrics or tracing. With `floor_hop_gateway.ts` it is the least
 * the architecture's one hop between gateway and service can cost.
 *
 * Env: PORT, and the databases of `floor_data.ts`.
 */
import * as grpc from "@grpc/grpc-js";
import { productCommands } from "@proto/command/v1/contract.ts";
import { productQueries } from "@proto/query/v1/contract.ts";
import { serviceDefinition } from "@shared/grpc/proto.ts";
import { floorData, type FloorInput } from "./floor_data.ts";

const data = await floorData();
const server = new grpc.Server();
const answer = <T>(work: Promise<T>, callback: grpc.sendUnaryData<T>) =>
  work.then((value) => callback(null, value), (err) => callback(err));

server.addService(serviceDefinition(productQueries.protoFile, productQueries.service), {
  getProduct: (
    call: grpc.ServerUnaryCall<{ id: string }, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ) =>
    answer(
      data.product(call.request.id).then((p) => ({
        product: p && {
          id: p.id,
          name: p.name,
          price: p.price,
          stock: p.stock,
          categoryName: p.category?.name ?? undefined,
        },
      })),
      callback,
    ),
});
server.addService(serviceDefinition(productCommands.protoFile, productCommands.service), {
  createProduct: (
    call: grpc.ServerUnaryCall<FloorInput, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ) =>
    answer(
      data.createProduct(call.request).then((p) => ({
        id: p.id,
        version: 1,
        transactionId: "0",
        position: "0",
        state: JSON.stringify(p),
      })),
      callback,
    ),
});
server.bindAsync(
  `127.0.0.1:${Deno.env.get("PORT")}`,
  grpc.ServerCredentials.createInsecure(),
  (err) => {
    if (err) throw err;
    console.log("ready");
  },
);
