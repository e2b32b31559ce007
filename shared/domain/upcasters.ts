import type { Upcasters } from "@shared/event_store/upcast.ts";
import { productUpcasters } from "./product/upcasters.ts";

/** Every upcaster chain of the domain events, for the event store's `upcasters` option. */
export const upcasters: Upcasters = {
  ...productUpcasters,
};
