import type { PathSegment } from "@shared/domain/category/types.ts";
import { inventoryIdFor, sagaIdFor } from "@shared/domain/shared/ids.ts";
import { formatCents, parseCents } from "@shared/domain/shared/money.ts";
import type { RecordedEvent } from "@shared/event_store/mod.ts";
import { EventLog } from "./event_log.ts";

/**
 * Builds the events the write side would record for a catalogue and its
 * orders, keeping just enough state (paths, prices) to make them consistent.
 */
export class Scenario {
  readonly log = new EventLog();
  readonly #paths = new Map<string, PathSegment[]>();
  readonly #parents = new Map<string, string | null>();

  /** Everything recorded so far, in global order. */
  get events(): RecordedEvent[] {
    return this.log.events;
  }

  /** Creates a category (a root unless `parentId`); returns its id. */
  createCategory(name: string, parentId: string | null = null, id = crypto.randomUUID()): string {
    const path = [...(parentId ? this.#paths.get(parentId)! : []), { id, name }];
    this.#paths.set(id, path);
    this.#parents.set(id, parentId);
    this.log.record("Category", id, "CategoryCreated", {
      id,
      name,
      description: `${name} and more`,
      parentId,
      path,
      depth: path.length,
      createdAt: this.log.now(),
    });
    return id;
  }

  /** Renames a category; unless `rebase` is false, rebases its descendants like the handler. */
  renameCategory(id: string, newName: string, options: { rebase?: boolean } = {}): void {
    const path = this.#paths.get(id)!;
    const oldName = path.at(-1)!.name;
    const newPath = [...path.slice(0, -1), { id, name: newName }];
    this.#paths.set(id, newPath);
    this.log.record("Category", id, "CategoryUpdated", {
      id,
      oldName,
      newName,
      oldDescription: null,
      newDescription: null,
      path: newPath,
      updatedAt: this.log.now(),
    });
    this.#rebaseDescendants(id, options.rebase ?? true);
  }

  /** Moves a category under another parent (or to the root), rebasing descendants. */
  moveCategory(id: string, newParentId: string | null, options: { rebase?: boolean } = {}): void {
    const oldPath = this.#paths.get(id)!;
    const newPath = [...(newParentId ? this.#paths.get(newParentId)! : []), oldPath.at(-1)!];
    this.#paths.set(id, newPath);
    const oldParentId = this.#parents.get(id) ?? null;
    this.#parents.set(id, newParentId);
    this.log.record("Category", id, "CategoryMoved", {
      id,
      oldParentId,
      newParentId,
      oldPath,
      newPath,
      oldDepth: oldPath.length,
      newDepth: newPath.length,
      movedAt: this.log.now(),
    });
    this.#rebaseDescendants(id, options.rebase ?? true);
  }

  #rebaseDescendants(id: string, record: boolean): void {
    for (const [child, parent] of this.#parents) {
      if (parent !== id) continue;
      const oldPath = this.#paths.get(child)!;
      const newPath = [...this.#paths.get(id)!, oldPath.at(-1)!];
      this.#paths.set(child, newPath);
      if (record) {
        this.log.record("Category", child, "CategoryPathChanged", {
          id: child,
          oldPath,
          newPath,
          depth: newPath.length,
          changedAt: this.log.now(),
        });
      }
      this.#rebaseDescendants(child, record);
    }
  }

  /**
   * Deletes a category; with `reassign`, first moves those products to
   * another category, as the handler does (CategoryProductsReassigned, then
   * a ProductUpdated per product).
   */
  deleteCategory(id: string, reassign?: { to: string; productIds: string[] }): void {
    if (reassign) {
      this.log.record("Category", id, "CategoryProductsReassigned", {
        from: id,
        to: reassign.to,
        productIds: reassign.productIds,
        reassignedAt: this.log.now(),
      });
      for (const productId of reassign.productIds) {
        this.updateProduct(productId, { categoryId: reassign.to });
      }
    }
    this.#parents.delete(id);
    this.log.record("Category", id, "CategoryDeleted", {
      id,
      reason: null,
      deletedAt: this.log.now(),
    });
  }

  /** Creates a product; returns its id. */
  createProduct(
    name: string,
    price: string,
    categoryId: string,
    options: { id?: string; description?: string | null } = {},
  ): string {
    const id = options.id ?? crypto.randomUUID();
    this.log.record("Product", id, "ProductCreated", {
      id,
      name,
      description: options.description === undefined ? `A fine ${name}` : options.description,
      price,
      categoryId,
      createdAt: this.log.now(),
    });
    return id;
  }

  /** Changes some fields of a product. */
  updateProduct(
    id: string,
    changes: { name?: string; description?: string | null; price?: string; categoryId?: string },
  ): void {
    this.log.record("Product", id, "ProductUpdated", {
      id,
      changes,
      previous: {},
      updatedAt: this.log.now(),
    });
  }

  /** A price change of 10% or more: ProductUpdated, then ProductPriceChanged. */
  changePrice(id: string, oldPrice: string, newPrice: string): void {
    this.updateProduct(id, { price: newPrice });
    this.log.record("Product", id, "ProductPriceChanged", {
      id,
      oldPrice,
      newPrice,
      changeReason: null,
      changedAt: this.log.now(),
    });
  }

  /** Deletes a product. */
  deleteProduct(id: string): void {
    this.log.record("Product", id, "ProductDeleted", {
      id,
      reason: "discontinued",
      deletedAt: this.log.now(),
    });
  }

  /** Archives a product: out of the catalogue, still readable by id. */
  archiveProduct(id: string): void {
    this.log.record("Product", id, "ProductArchived", { id, archivedAt: this.log.now() });
  }

  /** Restores an archived product. */
  restoreProduct(id: string): void {
    this.log.record("Product", id, "ProductRestored", { id, restoredAt: this.log.now() });
  }

  /** Sets a product's stock. */
  setStock(productId: string, quantity: number, previousQuantity = 0): void {
    this.log.record("Inventory", inventoryIdFor(productId), "StockSet", {
      productId,
      quantity,
      previousQuantity,
      setAt: this.log.now(),
    });
  }

  /** Reserves units for an order; `available` is what is left. */
  reserve(productId: string, orderId: string, quantity: number, available: number): void {
    this.log.record("Inventory", inventoryIdFor(productId), "InventoryReserved", {
      productId,
      orderId,
      quantity,
      available,
      reservedAt: this.log.now(),
    });
  }

  /** Releases an order's reservation; `available` is the stock after it. */
  release(productId: string, orderId: string, quantity: number, available: number): void {
    this.log.record("Inventory", inventoryIdFor(productId), "InventoryReleased", {
      productId,
      orderId,
      quantity,
      available,
      releasedAt: this.log.now(),
    });
  }

  /**
   * Places an order of `lines`; the caller gives the totals the domain
   * computed (the read model stores them, it does not recompute them).
   */
  createOrder(order: {
    id?: string;
    customerId: string;
    items: { productId: string; productName: string; quantity: number; unitPrice: string }[];
    subtotal: string;
    tax: string;
    shipping: string;
    total: string;
  }): string {
    const id = order.id ?? crypto.randomUUID();
    this.log.record("Order", id, "OrderCreated", {
      id,
      customerId: order.customerId,
      status: "pending",
      items: order.items.map((i) => ({
        ...i,
        discountRate: "0",
        lineTotal: formatCents(parseCents(i.unitPrice)! * i.quantity),
      })),
      subtotal: order.subtotal,
      tax: order.tax,
      shipping: order.shipping,
      total: order.total,
      shippingAddress: { street: "1 Main St", city: "Springfield", postalCode: "12345" },
      createdAt: this.log.now(),
    });
    return id;
  }

  /** Moves an order to another status. */
  changeStatus(id: string, from: string, to: string): void {
    this.log.record("Order", id, "OrderStatusChanged", {
      id,
      from,
      to,
      reason: null,
      changedAt: this.log.now(),
    });
  }

  /** Cancels an order. */
  cancelOrder(id: string, from: string, reason: string): void {
    this.log.record("Order", id, "OrderCancelled", {
      id,
      from,
      reason,
      cancelledAt: this.log.now(),
    });
  }

  /** Records one event of an order's saga; `data` is added to the saga and order ids. */
  saga(orderId: string, type: string, data: Record<string, unknown>): void {
    const sagaId = sagaIdFor(orderId);
    this.log.record("OrderSaga", sagaId, type, { sagaId, orderId, ...data });
  }
}
