import { freePort } from "@shared/db/embedded.ts";
import type { SystemPorts } from "@shared/runtime/system.ts";

/** Distinct free ports for every service of a system under test. */
export function freeSystemPorts(): Required<SystemPorts> {
  const ports = new Set<number>();
  while (ports.size < 5) ports.add(freePort());
  const [gateway, command, query, projector, saga] = [...ports] as [
    number,
    number,
    number,
    number,
    number,
  ];
  return { gateway, command, query, projector, saga };
}
