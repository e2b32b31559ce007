import { z } from "zod";
import { defineService, rpc } from "@shared/grpc/contract.ts";
import { optional, uuid } from "@shared/domain/shared/fields.ts";

/** A category as the read model holds it. */
export const CategoryView = z.object({
  id: z.string(),
  name: z.string(),
  description: optional(z.string()),
  parentId: optional(z.string()),
  path: z.array(z.object({ id: z.string(), name: z.string() })),
  depth: z.number().int(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** The category queries of `cqrs.query.v1.CategoryQueries`. */
export const categoryQueries = defineService(
  "cqrs.query.v1.CategoryQueries",
  "query/v1/query.proto",
  {
    getCategory: rpc(
      "read",
      z.object({ id: uuid }),
      z.object({ category: optional(CategoryView) }),
    ),
    listCategories: rpc(
      "list",
      z.object({ parentId: optional(uuid) }),
      z.object({ categories: z.array(CategoryView) }),
    ),
  },
);
