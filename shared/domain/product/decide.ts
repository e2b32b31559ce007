import { AlreadyExistsError, NotFoundError, PreconditionError } from "@shared/errors/mod.ts";
import { formatCents } from "../shared/money.ts";
import { checkDescription, checkName, checkReason, quote } from "../shared/rules.ts";
import { checkCategory, checkPrice, isSignificantPriceChange, live } from "./_rules.ts";
import {
  type CreateProduct,
  MAX_PRODUCT_NAME,
  type ProductChanges,
  type ProductCommand,
  type ProductEvent,
  type ProductState,
  type UpdateProduct,
} from "./types.ts";

/** Decides which events a product command produces, or throws the rule it breaks. */
export function decide(command: ProductCommand, state: ProductState | null): ProductEvent[] {
  switch (command.type) {
    case "CreateProduct":
      return decideCreate(command, state);
    case "UpdateProduct":
      return decideUpdate(command, live(state, command.id, "update"));
    case "DeleteProduct": {
      const product = live(state, command.id, "delete");
      return [{
        type: "ProductDeleted",
        data: { id: product.id, reason: checkReason(command.reason), deletedAt: command.at },
      }];
    }
    case "ArchiveProduct": {
      const product = live(state, command.id, "archive");
      if (product.archived) {
        throw new PreconditionError(
          `Cannot archive product ${quote(product.name)}: it is already archived`,
          { field: "id" },
        );
      }
      return [{ type: "ProductArchived", data: { id: product.id, archivedAt: command.at } }];
    }
    case "RestoreProduct": {
      const product = live(state, command.id, "restore");
      if (!product.archived) {
        throw new PreconditionError(
          `Cannot restore product ${quote(product.name)}: it is not archived`,
          { field: "id" },
        );
      }
      return [{ type: "ProductRestored", data: { id: product.id, restoredAt: command.at } }];
    }
    default: {
      const never: never = command;
      throw new NotFoundError(`Unknown command ${quote((never as { type: string }).type)}`);
    }
  }
}

function decideCreate(command: CreateProduct, state: ProductState | null): ProductEvent[] {
  if (state) {
    throw new AlreadyExistsError(`Cannot create product ${quote(command.id)}: it already exists`, {
      field: "id",
    });
  }
  const name = checkName(command.name, { max: MAX_PRODUCT_NAME });
  const description = checkDescription(command.description);
  const price = checkPrice(command.price);
  checkCategory(`create product ${quote(name)}`, command.categoryId, command.category);
  return [{
    type: "ProductCreated",
    data: {
      id: command.id,
      name,
      description,
      price: formatCents(price),
      categoryId: command.categoryId,
      createdAt: command.at,
    },
  }];
}

function decideUpdate(command: UpdateProduct, state: ProductState): ProductEvent[] {
  const changes: ProductChanges = {};
  const previous: ProductChanges = {};
  if (command.name !== undefined) {
    const name = checkName(command.name, { max: MAX_PRODUCT_NAME });
    if (name !== state.name) [changes.name, previous.name] = [name, state.name];
  }
  if (command.description !== undefined) {
    const description = checkDescription(command.description);
    if (description !== state.description) {
      [changes.description, previous.description] = [description, state.description];
    }
  }
  let price = state.price;
  if (command.price !== undefined) {
    price = checkPrice(command.price);
    if (price !== state.price) {
      [changes.price, previous.price] = [formatCents(price), formatCents(state.price)];
    }
  }
  if (command.categoryId !== undefined && command.categoryId !== state.categoryId) {
    checkCategory(`move product ${quote(state.name)}`, command.categoryId, command.category);
    [changes.categoryId, previous.categoryId] = [command.categoryId, state.categoryId];
  }
  if (Object.keys(changes).length === 0) return [];

  const events: ProductEvent[] = [{
    type: "ProductUpdated",
    data: { id: state.id, changes, previous, updatedAt: command.at },
  }];
  if (price !== state.price && isSignificantPriceChange(state.price, price)) {
    events.push({
      type: "ProductPriceChanged",
      data: {
        id: state.id,
        oldPrice: formatCents(state.price),
        newPrice: formatCents(price),
        changeReason: checkReason(command.changeReason, "changeReason"),
        changedAt: command.at,
      },
    });
  }
  return events;
}
