import { CategoryView } from "@proto/query/v1/contract.ts";
import type * as category from "@shared/domain/category/mod.ts";
import { pickView } from "@shared/application/views.ts";

/**
 * A category as a command left it, in the shape of the query view: the
 * state's fields that CategoryView names, with what the command knows (its
 * creation time and counts only when it creates): `updatedAt` is the
 * command's time, since it appended. What a category mutation answers with.
 */
export function categoryView(
  state: category.CategoryState | null,
  at: string,
  known: { createdAt?: string; childCount?: number; productCount?: number } = {},
): Record<string, unknown> | undefined {
  if (state === null || state.deleted) return undefined;
  return pickView(CategoryView, { ...state, updatedAt: at, ...known });
}
