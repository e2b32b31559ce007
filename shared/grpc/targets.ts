import { isIP } from "node:net";
import type * as grpc from "@grpc/grpc-js";
import { hostOf } from "@shared/config/address.ts";

/**
 * Where the replicas of one service are, from an address setting: one
 * `host:port`, a comma-separated list of IP `address:port`s, or
 * `dns:///name:port` (every A/AAAA record of `name` is a replica).
 */
export interface ServiceTarget {
  /** The grpc-js channel target (`host:port`, `ipv4:a:p,b:p`, `ipv6:[a]:p,[b]:p`, `dns:///…`). */
  target: string;
  /** The `host:port` of each replica in a list; one entry for `host:port` and for a DNS name. */
  replicas: string[];
  /** The host names or IPs a server certificate may name. */
  hosts: string[];
}

/** The replicas behind an address setting; check it with `addressProblem` (shared/config) first. */
export function serviceTarget(value: string): ServiceTarget {
  const dns = /^dns:(\/\/\/)?(.*)$/.exec(value);
  if (dns) return { target: `dns:///${dns[2]}`, replicas: [value], hosts: [hostOf(dns[2]!)] };
  const replicas = value.split(",");
  if (replicas.length === 1) return { target: value, replicas, hosts: [hostOf(value)] };
  const scheme = isIP(hostOf(replicas[0]!)) === 6 ? "ipv6" : "ipv4";
  return { target: `${scheme}:${value}`, replicas, hosts: replicas.map(hostOf) };
}

/**
 * HTTP/2 pings while a call is open, one a second: a peer that answers one
 * of them in no 1.5 s is treated as gone, and its connection closed (within
 * 2.5 s, under the 3 s deadline of a read). A frozen process (SIGSTOP, an
 * event loop blocked for seconds, a host that stopped answering) keeps its
 * sockets open, so without pings a call to it waits out its deadline and
 * fails, and round-robin keeps sending it every other call. With them, its
 * calls fail as a lost connection, which the service policy retries on
 * another replica, and the replica is left out until it connects again.
 * Only while calls are open: an idle connection sends none. The project's
 * gRPC servers (grpc-js) accept pings at any rate.
 */
export const keepalive: grpc.ChannelOptions = {
  "grpc.keepalive_time_ms": 1000,
  "grpc.keepalive_timeout_ms": 1500,
};

/**
 * Spreads calls over every ready replica, one after the other, instead of
 * grpc-js's default of sending every call to the first address that answers.
 * A replica whose connection breaks is left out until it reconnects.
 */
export const roundRobin: grpc.ChannelOptions = {
  "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
};
