import { orderCommands, sagaStepCommands } from "@proto/command/v1/contract.ts";
import type { SagaCommand } from "@shared/domain/order_saga/mod.ts";
import { ConfigError } from "@shared/config/mod.ts";
import { AppError, UnavailableError } from "@shared/errors/mod.ts";
import type { EventMetadata } from "@shared/event_store/mod.ts";
import { createClient } from "@shared/grpc/client.ts";
import type { CallMetadata } from "@shared/grpc/contract.ts";
import type { ClientTls } from "@shared/grpc/tls.ts";
import type { SagaTokens } from "./_token.ts";

/** Options of {@link createCommandSender}. */
export interface CommandSenderOptions {
  /** The command service: `host:port`, a list of replicas, or `dns:///name:port`. */
  address: string;
  /** TLS to it (mutual with a client certificate); default plaintext. */
  tls?: ClientTls | undefined;
  /** How long one call may take; default 30 s (a step waits on the gateway or the carrier). */
  deadlineMs?: number | undefined;
  tokens: SagaTokens;
}

/** Sends the saga's commands to the command service, as any client does. */
export interface CommandSender {
  /**
   * Sends one command under its deterministic id (x-command-id), with the
   * correlation and causation of `metadata` and the saga's own token. A
   * refusal rejects with the AppError the service raised; an unreachable
   * service with an UnavailableError.
   */
  send(sent: SagaCommand, metadata: EventMetadata): Promise<void>;
  /**
   * Asks the command service whether it accepts the saga's token, with a
   * step call it must refuse for its input (so nothing is written): a
   * refused token is a ConfigError naming the settings to fix; an
   * unreachable service is "unreachable" (it may start later).
   */
  checkIdentity(): Promise<"accepted" | "unreachable">;
  close(): void;
}

/**
 * gRPC clients of the command service for the saga: its step RPCs
 * (SagaStepCommands) and the order RPCs it shares with every client
 * (UpdateOrderStatus, CancelOrder). No retries here: the dispatcher retries
 * while the saga still waits for the command.
 */
export function createCommandSender(options: CommandSenderOptions): CommandSender {
  const client = {
    deadlines: { command: options.deadlineMs ?? 30_000 },
    ...(options.tls ? { tls: options.tls } : {}),
  };
  const steps = createClient(sagaStepCommands, options.address, client);
  const orders = createClient(orderCommands, options.address, client);
  return {
    async send(sent, metadata) {
      const tenant = typeof metadata.tenantId === "string" ? metadata.tenantId : undefined;
      const call = { metadata: await callMetadata(sent, metadata, options.tokens, tenant) };
      const command = sent.command;
      switch (command.type) {
        case "ReserveInventory":
          await steps.reserveInventory(command, call);
          return;
        case "ReleaseInventory":
          await steps.releaseInventory(command, call);
          return;
        case "ProcessPayment":
          await steps.processPayment(command, call);
          return;
        case "RefundPayment":
          await steps.refundPayment(command, call);
          return;
        case "ArrangeShipping":
          await steps.arrangeShipping(command, call);
          return;
        case "CancelShipping":
          await steps.cancelShipping(command, call);
          return;
        case "UpdateOrderStatus":
          await orders.updateOrderStatus(command, call);
          return;
        case "CancelOrder":
          await orders.cancelOrder(command, call);
          return;
        default: {
          const never: never = command;
          throw new TypeError(`Unknown saga command "${(never as { type: string }).type}"`);
        }
      }
    },
    async checkIdentity() {
      // A valid input under a command id that is no UUID: the pipeline checks the caller
      // first and the command id last, so VALIDATION means the token was accepted, and the
      // step never runs.
      const metadata = {
        commandId: "saga-identity-check",
        authorization: await options.tokens.authorization(undefined),
      };
      try {
        const input = { orderId: crypto.randomUUID(), productId: crypto.randomUUID() };
        await steps.releaseInventory(input, { metadata });
        throw new Error("the command service ran a step under a command id that is no UUID");
      } catch (err) {
        const code = err instanceof AppError ? err.code : "";
        if (code === "VALIDATION") return "accepted";
        if (code === "UNAUTHENTICATED" || code === "FORBIDDEN") {
          throw new ConfigError(
            `the command service at ${options.address} refuses the saga's token (${code}: ` +
              `${(err as Error).message}); set JWT_SECRET (and JWT_ISSUER, JWT_AUDIENCE) to the ` +
              "command service's",
          );
        }
        if (err instanceof UnavailableError) return "unreachable";
        throw err;
      }
    },
    close() {
      steps.close();
      orders.close();
    },
  };
}

async function callMetadata(
  sent: SagaCommand,
  metadata: EventMetadata,
  tokens: SagaTokens,
  tenant: string | undefined,
): Promise<CallMetadata> {
  const text = (value: unknown) => typeof value === "string" ? value : undefined;
  const out: CallMetadata = {
    commandId: sent.commandId,
    authorization: await tokens.authorization(tenant),
  };
  const correlationId = text(metadata.correlationId);
  const causationId = text(metadata.causationId);
  const traceparent = text(metadata.traceparent);
  if (correlationId) out.correlationId = correlationId;
  if (causationId) out.causationId = causationId;
  if (traceparent) out.traceparent = traceparent;
  return out;
}
