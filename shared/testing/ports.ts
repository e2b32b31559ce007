import { freePort } from "@shared/db/embedded.ts";
import type { SystemPorts } from "@shared/runtime/system.ts";

/** Four distinct free ports for a system under test. */
export function freeSystemPorts(): SystemPorts {
  const ports = new Set<number>();
  while (ports.size < 4) ports.add(freePort());
  const [gateway, command, query, projector] = [...ports] as [number, number, number, number];
  return { gateway, command, query, projector };
}
