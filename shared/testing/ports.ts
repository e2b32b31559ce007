import { freePort } from "@shared/db/embedded.ts";
import type { SystemPorts } from "@shared/runtime/system.ts";

/** Distinct free ports for every listener of a system under test. */
export function freeSystemPorts(): SystemPorts {
  const ports = new Set<number>();
  while (ports.size < 7) ports.add(freePort());
  const [gateway, command, query, projector, saga, commandMetrics, queryMetrics] = [...ports] as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { gateway, command, query, projector, saga, commandMetrics, queryMetrics };
}
