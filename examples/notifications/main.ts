/**
 * Runs the example notifications consumer against NATS_URL and prints each
 * "order confirmed" notice: `NATS_URL=nats://127.0.0.1:4222 deno run -A
 * examples/notifications/main.ts`.
 */
import { connect } from "@nats-io/transport-node";
import { startNotifications } from "./notifications.ts";

const url = Deno.env.get("NATS_URL") ?? "nats://127.0.0.1:4222";
const nc = await connect({ servers: url });
const notifications = await startNotifications(nc, {
  stream: Deno.env.get("RELAY_STREAM") ?? "INTEGRATION_EVENTS",
  durable: "notifications",
  onEvent: (event) => {
    if (event.type === "order.confirmed") console.log(`order ${event.aggregateId} confirmed`);
  },
});
const stop = async () => {
  await notifications.stop();
  await nc.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", () => void stop());
Deno.addSignalListener("SIGTERM", () => void stop());
