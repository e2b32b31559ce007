import { isIP } from "node:net";

const hostPort = /^(\[[0-9a-fA-F:.]+\]|[^\s:,/[\]]+):(\d{1,5})$/;

/** Host part of `host:port` or `[v6]:port`. */
export function hostOf(address: string): string {
  const host = address.slice(0, address.lastIndexOf(":"));
  return host.startsWith("[") ? host.slice(1, -1) : host;
}

/**
 * Why `value` is no address setting, or undefined when it is one. A list
 * must name IP addresses of one family, since grpc-js balances over a static
 * list only then; several host names go behind one DNS name instead.
 */
export function addressProblem(value: string): string | undefined {
  const dns = /^dns:(\/\/\/)?(.*)$/.exec(value);
  if (dns) {
    return hostPort.test(dns[2]!) ? undefined : "must be dns:///name:port";
  }
  const parts = value.split(",");
  for (const part of parts) {
    const match = hostPort.exec(part);
    if (!match || Number(match[2]) > 65535) {
      return parts.length === 1
        ? "must be host:port, a list of ip:port, or dns:///name:port"
        : `"${part.slice(0, 100)}" in the list must be ip:port`;
    }
  }
  if (parts.length === 1) return undefined;
  const families = new Set(parts.map((p) => isIP(hostOf(p))));
  if (families.has(0)) return "a list must name IP addresses (use dns:///name:port for names)";
  if (families.size > 1) return "a list must not mix IPv4 and IPv6 addresses";
  if (new Set(parts).size !== parts.length) return "a list must not repeat an address";
  return undefined;
}
