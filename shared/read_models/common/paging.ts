import type { PageInfo } from "@proto/query/v1/contract.ts";

/** The page a list request asks for (1-based; 20 per page unless given). */
export interface PageRequest {
  page?: number | undefined;
  perPage?: number | undefined;
}

/** A page of rows with where it sits. */
export interface Paged<T> {
  items: T[];
  pageInfo: PageInfo;
}

/** The default page size. */
export const DEFAULT_PER_PAGE = 20;
/** The largest page size. */
export const MAX_PER_PAGE = 100;

/** A resolved page: its number and size, and the rows to skip and take. */
export interface PageWindow {
  page: number;
  perPage: number;
  offset: number;
  limit: number;
}

/**
 * Resolves a page request: page from 1, perPage 20 unless given, clamped to
 * 1..100 (the contract already refuses values out of range).
 */
export function pageWindow(request: PageRequest): PageWindow {
  const page = Math.max(1, Math.trunc(request.page ?? 1));
  const perPage = Math.min(
    MAX_PER_PAGE,
    Math.max(1, Math.trunc(request.perPage ?? DEFAULT_PER_PAGE)),
  );
  return { page, perPage, offset: (page - 1) * perPage, limit: perPage };
}

/** The page info of a window over a list of `totalCount` rows. */
export function pageInfo(window: PageWindow, totalCount: number): PageInfo {
  return {
    page: window.page,
    perPage: window.perPage,
    totalCount,
    hasNext: window.offset + window.perPage < totalCount,
  };
}

/**
 * Runs a page query and its count query side by side (each on its own pooled
 * connection) and pairs the rows with their page info.
 */
export async function paged<T>(
  window: PageWindow,
  rows: Promise<T[]>,
  count: Promise<{ count: string | number }[]>,
): Promise<Paged<T>> {
  const [items, counted] = await Promise.all([rows, count]);
  return { items, pageInfo: pageInfo(window, Number(counted[0]?.count ?? 0)) };
}

/** Escapes LIKE wildcards, so that a pattern of `text` matches exactly that text. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A LIKE pattern that finds the term anywhere: `50%` finds "50% off", not "500". */
export function likePattern(term: string): string {
  return `%${escapeLike(term.trim())}%`;
}
