import type { z } from "zod";
import type {
  categoryCommands,
  orderCommands,
  productCommands,
} from "@proto/command/v1/contract.ts";

type Methods = Record<string, { input: z.ZodType }>;
type In<M extends Methods, K extends keyof M> = z.output<M[K]["input"]>;
type Category = typeof categoryCommands.methods;
type Product = typeof productCommands.methods;
type Order = typeof orderCommands.methods;

/** The validated inputs of the command RPCs, as their contracts parse them. */
export type CreateCategoryInput = In<Category, "createCategory">;
export type UpdateCategoryInput = In<Category, "updateCategory">;
export type DeleteCategoryInput = In<Category, "deleteCategory">;
export type CreateProductInput = In<Product, "createProduct">;
export type UpdateProductInput = In<Product, "updateProduct">;
export type DeleteProductInput = In<Product, "deleteProduct">;
export type ArchiveProductInput = In<Product, "archiveProduct">;
export type RestoreProductInput = In<Product, "restoreProduct">;
export type SetStockInput = In<Product, "setStock">;
export type CreateOrderInput = In<Order, "createOrder">;
export type CancelOrderInput = In<Order, "cancelOrder">;
export type UpdateOrderStatusInput = In<Order, "updateOrderStatus">;
export type StartOrderSagaInput = In<Order, "startOrderSaga">;
