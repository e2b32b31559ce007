/** Support of the tests that stop a whole system: traffic before the stop, and its order. */
import assert from "node:assert/strict";
import { GRPC_SERVERS } from "@shared/runtime/system.ts";
import { bearer } from "./auth.ts";
import { gql } from "./graphql.ts";

/**
 * A category and `count` products in it, created one by one through the
 * gateway at `url` as staff: enough calls that the gateway's connections to
 * both gRPC services are open and in use when the stop comes.
 */
export async function catalogueTraffic(url: string, count: number): Promise<void> {
  const staff = await bearer("clerk", ["staff"]);
  const category = await gql<{ createCategory: { id: string } }>(
    url,
    `mutation { createCategory(input: {name: "Stationery"}) { id } }`,
    {},
    staff,
  );
  assert.equal(category.errors, undefined, JSON.stringify(category.errors));
  const categoryId = category.data!.createCategory.id;
  for (let i = 0; i < count; i++) {
    const created = await gql(
      url,
      `mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
      { input: { name: `Pen ${i}`, price: "1.00", categoryId } },
      staff,
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
  }
}

/**
 * From the services' log lines: every gRPC service had exited (its last line,
 * "stopped") before the gateway and the saga worker got their signal (their
 * "stopping").
 */
export function assertGrpcServicesStoppedFirst(lines: readonly string[]): void {
  const said = lines.join("\n");
  const at = (service: string, message: string) => {
    const line = lines.find((l) =>
      l.includes(`"service":"${service}"`) && l.includes(`"message":"${message}"`)
    );
    assert.ok(line, `${service} logged no "${message}":\n${said}`);
    return Date.parse(JSON.parse(line).time);
  };
  const servicesExited = Math.max(...GRPC_SERVERS.map((service) => at(service, "stopped")));
  for (const client of ["gateway", "saga"]) {
    assert.ok(
      at(client, "stopping") > servicesExited,
      `${client} was stopped before the gRPC services had exited:\n${said}`,
    );
  }
}
