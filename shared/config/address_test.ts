import assert from "node:assert/strict";
import { z } from "zod";
import { addressVar, ConfigError, loadConfig } from "./mod.ts";
import { serviceTarget } from "@shared/grpc/targets.ts";

const schema = z.object({ COMMAND_SERVICE_ADDRESS: addressVar });

function problemOf(value: string): string | undefined {
  try {
    loadConfig(schema, { COMMAND_SERVICE_ADDRESS: value });
    return undefined;
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
}

Deno.test("addressVar accepts one host:port, a list of IP replicas and a DNS name", () => {
  for (
    const value of [
      "command:50051",
      "127.0.0.1:50051",
      "[::1]:50051",
      "127.0.0.1:50051,127.0.0.1:50061",
      "[::1]:50051,[::1]:50061",
      "dns:///command.cqrs.svc:50051",
    ]
  ) {
    assert.equal(problemOf(value), undefined, value);
  }
});

Deno.test("addressVar names the rule a bad address breaks", () => {
  assert.match(problemOf("command")!, /must be host:port, a list of ip:port, or dns/);
  assert.match(problemOf("a:1,b:2")!, /a list must name IP addresses/);
  assert.match(problemOf("127.0.0.1:1,[::1]:2")!, /must not mix IPv4 and IPv6/);
  assert.match(problemOf("127.0.0.1:1,127.0.0.1:1")!, /must not repeat/);
  assert.match(problemOf("127.0.0.1:1,nope")!, /"nope" in the list must be ip:port/);
  assert.match(problemOf("127.0.0.1:99999")!, /must be host:port/);
  assert.match(problemOf("dns:///command")!, /must be dns:\/\/\/name:port/);
});

Deno.test("serviceTarget gives grpc-js a target it balances over", () => {
  assert.deepEqual(serviceTarget("127.0.0.1:1,127.0.0.1:2"), {
    target: "ipv4:127.0.0.1:1,127.0.0.1:2",
    replicas: ["127.0.0.1:1", "127.0.0.1:2"],
    hosts: ["127.0.0.1", "127.0.0.1"],
  });
  assert.equal(serviceTarget("[::1]:1,[::1]:2").target, "ipv6:[::1]:1,[::1]:2");
  assert.equal(serviceTarget("dns:///command.svc:50051").target, "dns:///command.svc:50051");
  assert.equal(serviceTarget("command:50051").target, "command:50051");
});
