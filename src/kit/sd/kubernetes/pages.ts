import type { Listed } from './resource-client.ts';

/** Page is one chunk of a list the API server returned for a `limit`ed request. */
export interface Page<T> {
  items: T[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

/** FetchPage asks for at most `limit` items, continuing after `token` when given. */
export type FetchPage<T> = (limit: number, token: string | undefined) => Promise<Page<T>>;

/** defaultPageSize is client-go's: a big collection comes in chunks, not as one huge response. */
export const defaultPageSize = 500;

/**
 * listAllPages lists a whole collection in pages of `pageSize`, following `continue` tokens.
 * The pages form one consistent snapshot (the token carries the first page's resourceVersion),
 * so the last page's resourceVersion is where a watch picks up. A token that expired before it
 * was used (410) fails the whole list; the Watcher then lists again from the start, as
 * client-go's reflector does.
 */
export async function listAllPages<T>(fetchPage: FetchPage<T>, pageSize = defaultPageSize): Promise<Listed<T>> {
  if (!(Number.isInteger(pageSize) && pageSize > 0)) throw new RangeError(`page size must be a positive integer, got ${pageSize}`);
  const items: T[] = [];
  let token: string | undefined;
  for (;;) {
    const page = await fetchPage(pageSize, token);
    for (const item of page.items) items.push(item);
    token = page.metadata?._continue || undefined;
    if (token === undefined) return { items, resourceVersion: page.metadata?.resourceVersion ?? '' };
  }
}
