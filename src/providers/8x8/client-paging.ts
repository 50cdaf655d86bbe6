import type { RawHalList } from "./wire-schemas.ts";
import type { ListQuery, MessageListQuery, Page } from "./wire-types.ts";

/**
 * Fills in `page` when 8x8 leaves it out: the answer is then taken as the only (last) page, so `listAll` stops
 * instead of guessing.
 */
export function toPage<T>(raw: RawHalList<T>, requestedPage: number): Page<T> {
  const number = raw.page?.number ?? requestedPage;
  return {
    items: raw.items,
    page: {
      number,
      size: raw.page?.size ?? raw.items.length,
      totalElements: raw.page?.totalElements ?? raw.items.length,
      totalPages: raw.page?.totalPages ?? number + 1,
    },
  };
}

/** The query parameters of a list call, without the absent ones. */
export function listQueryParams(
  query: ListQuery | MessageListQuery = {},
): Record<string, string | number | undefined> {
  return {
    page: query.page,
    size: query.size,
    sort: query.sort,
    filter: "filter" in query ? query.filter : undefined,
  };
}

/**
 * Yields every item from `startPage` on, following `page.totalPages` (a next page exists while
 * `number + 1 < totalPages`). The requested index, not the server's `page.number`, drives the loop, and an empty
 * page ends it, so a server that misreports paging cannot make this spin forever.
 */
export async function* iterateAllPages<T>(
  fetchPage: (page: number) => Promise<Page<T>>,
  startPage: number,
): AsyncGenerator<T, void, undefined> {
  for (let index = startPage; ; index++) {
    const page = await fetchPage(index);
    yield* page.items;
    if (page.items.length === 0 || index + 1 >= page.page.totalPages) return;
  }
}
