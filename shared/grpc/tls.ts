import { Buffer } from "node:buffer";
import { isIP } from "node:net";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { z } from "zod";
import {
  certificateFileVar,
  checkKeyPair,
  privateKeyFileVar,
  type ReportIssue,
} from "@shared/config/tls.ts";
import { serviceTarget } from "./targets.ts";

/** TLS of a gRPC server, as PEM text. */
export interface ServerTls {
  /** The server's certificate (chain). */
  cert: string;
  key: string;
  /** The CA that signs accepted client certificates; required with `requireClientCert`. */
  ca?: string;
  /** Mutual TLS: refuse clients without a certificate signed by `ca`. */
  requireClientCert?: boolean;
}

/** TLS of a gRPC client, as PEM text. */
export interface ClientTls {
  /** The CA that signs the servers' certificates. */
  ca: string;
  /** The client's own certificate and key, presented to servers that require one (mutual TLS). */
  cert?: string;
  key?: string;
}

/** Credentials of a server: plaintext without `tls`. */
export function serverCredentials(tls?: ServerTls): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  if (tls.requireClientCert && !tls.ca) {
    throw new Error("requireClientCert needs the CA of the client certificates");
  }
  return grpc.ServerCredentials.createSsl(
    tls.ca ? Buffer.from(tls.ca) : null,
    [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }],
    tls.requireClientCert ?? false,
  );
}

/** How a client reaches `address`: credentials and the channel options they need. */
export interface ClientChannel {
  credentials: grpc.ChannelCredentials;
  options: grpc.ChannelOptions;
}

/** Channels made per settings object, so clients of one service share their connection. */
const channels = new WeakMap<ClientTls, Map<string, ClientChannel>>();

/**
 * Credentials for calling `address` (one replica or several, see
 * {@link serviceTarget}): plaintext without `tls`. Deno's TLS
 * refuses an IP address as the server name (SNI), so for an IP address the
 * SNI is a placeholder and the certificate is still checked against the IP
 * itself (its subjectAltName must list it).
 */
export function clientChannel(address: string, tls?: ClientTls): ClientChannel {
  if (!tls) return { credentials: grpc.credentials.createInsecure(), options: {} };
  let byAddress = channels.get(tls);
  if (!byAddress) channels.set(tls, byAddress = new Map());
  const known = byAddress.get(address);
  if (known) return known;
  const { hosts } = serviceTarget(address);
  const ip = hosts.every((host) => isIP(host) !== 0);
  // Which replica of a list a connection reached is not known here: a
  // certificate naming any of them is one of the service's own.
  const identify = (_name: string, cert: PeerCertificate) => {
    const results = hosts.map((host) => checkServerIdentity(host, cert));
    return results.some((r) => r === undefined) ? undefined : results[0];
  };
  const credentials = grpc.credentials.createSsl(
    Buffer.from(tls.ca),
    tls.key ? Buffer.from(tls.key) : null,
    tls.cert ? Buffer.from(tls.cert) : null,
    ip ? { checkServerIdentity: identify } : {},
  );
  const channel = {
    credentials,
    options: ip ? { "grpc.ssl_target_name_override": "localhost" } : {},
  };
  byAddress.set(address, channel);
  return channel;
}

/**
 * The gRPC TLS variables. One set serves every process, so `deno task dev`
 * and compose can share it: servers (command, query) use GRPC_TLS_CERT and
 * GRPC_TLS_KEY, clients (the gateway) trust GRPC_TLS_CA and present
 * GRPC_TLS_CLIENT_CERT and GRPC_TLS_CLIENT_KEY.
 */
export const grpcTlsVars = {
  GRPC_TLS_CA: certificateFileVar.optional(),
  GRPC_TLS_CERT: certificateFileVar.optional(),
  GRPC_TLS_KEY: privateKeyFileVar.optional(),
  GRPC_TLS_CLIENT_CERT: certificateFileVar.optional(),
  GRPC_TLS_CLIENT_KEY: privateKeyFileVar.optional(),
  GRPC_TLS_CLIENT_AUTH: z.enum(["none", "require"], { error: "must be none or require" })
    .default("none"),
};

/** The parsed {@link grpcTlsVars}. */
export type GrpcTlsConfig = {
  GRPC_TLS_CA?: string | undefined;
  GRPC_TLS_CERT?: string | undefined;
  GRPC_TLS_KEY?: string | undefined;
  GRPC_TLS_CLIENT_CERT?: string | undefined;
  GRPC_TLS_CLIENT_KEY?: string | undefined;
  GRPC_TLS_CLIENT_AUTH: "none" | "require";
};

/** Cross-variable rules of a gRPC server's TLS settings. */
export function checkServerTls(config: GrpcTlsConfig, report: ReportIssue): void {
  checkKeyPair(config, "GRPC_TLS_CERT", "GRPC_TLS_KEY", report);
  if (config.GRPC_TLS_CLIENT_AUTH !== "require") return;
  if (!config.GRPC_TLS_CERT) {
    report("GRPC_TLS_CERT", "is required by GRPC_TLS_CLIENT_AUTH=require (mutual TLS needs TLS)");
  }
  if (!config.GRPC_TLS_CA) {
    report(
      "GRPC_TLS_CA",
      "is required by GRPC_TLS_CLIENT_AUTH=require (it signs client certificates)",
    );
  }
}

/** Cross-variable rules of a gRPC client's TLS settings. */
export function checkClientTls(config: GrpcTlsConfig, report: ReportIssue): void {
  checkKeyPair(config, "GRPC_TLS_CLIENT_CERT", "GRPC_TLS_CLIENT_KEY", report);
  if (config.GRPC_TLS_CLIENT_CERT && !config.GRPC_TLS_CA) {
    report("GRPC_TLS_CA", "is required by GRPC_TLS_CLIENT_CERT (client certificates need TLS)");
  }
}

/** A server's TLS from checked settings; undefined (plaintext) without GRPC_TLS_CERT. */
export function serverTlsOf(config: GrpcTlsConfig): ServerTls | undefined {
  if (!config.GRPC_TLS_CERT || !config.GRPC_TLS_KEY) return undefined;
  return {
    cert: config.GRPC_TLS_CERT,
    key: config.GRPC_TLS_KEY,
    ...(config.GRPC_TLS_CA ? { ca: config.GRPC_TLS_CA } : {}),
    requireClientCert: config.GRPC_TLS_CLIENT_AUTH === "require",
  };
}

/** A client's TLS from checked settings; undefined (plaintext) without GRPC_TLS_CA. */
export function clientTlsOf(config: GrpcTlsConfig): ClientTls | undefined {
  if (!config.GRPC_TLS_CA) return undefined;
  return {
    ca: config.GRPC_TLS_CA,
    ...(config.GRPC_TLS_CLIENT_CERT && config.GRPC_TLS_CLIENT_KEY
      ? { cert: config.GRPC_TLS_CLIENT_CERT, key: config.GRPC_TLS_CLIENT_KEY }
      : {}),
  };
}
