import { NotFoundError, PreconditionError } from "@shared/errors/mod.ts";
import { invalid, quote } from "../shared/rules.ts";
import {
  type InventoryCommand,
  type InventoryEvent,
  type InventoryState,
  MAX_STOCK,
} from "./types.ts";

/** Decides which events an inventory command produces, or throws the rule it breaks. */
export function decide(command: InventoryCommand, state: InventoryState | null): InventoryEvent[] {
  switch (command.type) {
    case "SetStock": {
      const { quantity, product } = command;
      if (!Number.isInteger(quantity) || quantity < 0 || quantity > MAX_STOCK) {
        throw invalid(
          "quantity",
          `must be a whole number from 0 to ${MAX_STOCK}, got ${quote(quantity)}`,
        );
      }
      if (product?.id !== command.productId) {
        throw new NotFoundError(
          `Cannot set the stock of product ${quote(command.productId)}: it does not exist`,
          { field: "productId" },
        );
      }
      if (product.deleted) {
        throw new PreconditionError(
          `Cannot set the stock of product ${quote(product.name)}: it is deleted`,
          { field: "productId" },
        );
      }
      const previous = state?.available ?? 0;
      if (state && previous === quantity) return [];
      return [{
        type: "StockSet",
        data: {
          productId: command.productId,
          quantity,
          previousQuantity: previous,
          setAt: command.at,
        },
      }];
    }
    case "ReserveInventory": {
      const { orderId, productId, quantity, at } = command;
      if (!Number.isInteger(quantity) || quantity < 1) {
        throw invalid("quantity", `must be a whole number of at least 1, got ${quote(quantity)}`);
      }
      const { reservation } = command;
      if (reservation !== undefined && !reservation.released) return [];
      const available = state?.available ?? 0;
      const fail = (reason: string): InventoryEvent[] => [{
        type: "InventoryReservationFailed",
        data: { productId, orderId, requested: quantity, available, reason, failedAt: at },
      }];
      if (reservation?.released) {
        return fail(`The reservation of order ${quote(orderId)} was already released`);
      }
      if (quantity > available) {
        return fail(`Insufficient stock: requested ${quantity}, available ${available}`);
      }
      return [{
        type: "InventoryReserved",
        data: { productId, orderId, quantity, available: available - quantity, reservedAt: at },
      }];
    }
    case "ReleaseInventory": {
      const { orderId, productId, reservation, at } = command;
      if (reservation?.released) return [];
      const quantity = reservation?.quantity ?? 0;
      return [{
        type: "InventoryReleased",
        data: {
          productId,
          orderId,
          quantity,
          available: (state?.available ?? 0) + quantity,
          releasedAt: at,
        },
      }];
    }
    default: {
      const never: never = command;
      throw new NotFoundError(`Unknown command ${quote((never as { type: string }).type)}`);
    }
  }
}
