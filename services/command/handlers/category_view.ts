import type * as category from "@shared/domain/category/mod.ts";

/**
 * A category as a command left it, in the shape of the query view
 * (CategoryView), with what the command knows (its creation time and counts
 * only when it creates): `updatedAt` is the command's time, since it
 * appended. What a category mutation answers with.
 */
export function categoryView(
  state: category.CategoryState | null,
  at: string,
  known: { createdAt?: string; childCount?: number; productCount?: number } = {},
): Record<string, unknown> | undefined {
  if (state === null || state.deleted) return undefined;
  return {
    id: state.id,
    name: state.name,
    ...(state.description === null ? {} : { description: state.description }),
    ...(state.parentId === null ? {} : { parentId: state.parentId }),
    path: state.path.map((s) => ({ id: s.id, name: s.name })),
    depth: state.depth,
    version: state.version,
    updatedAt: at,
    ...known,
  };
}
