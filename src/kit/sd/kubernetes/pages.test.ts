import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listAllPages, type Page } from './pages.ts';

/** pagesOf serves `all` the way the API server does: `limit` items a page, a token while more remain. */
function pagesOf(all: number[], resourceVersion = '42') {
  const asked: Array<{ limit: number; token: string | undefined }> = [];
  const fetchPage = async (limit: number, token: string | undefined): Promise<Page<number>> => {
    asked.push({ limit, token });
    const from = token === undefined ? 0 : Number(token.slice('after-'.length));
    const items = all.slice(from, from + limit);
    const next = from + limit < all.length ? `after-${from + limit}` : undefined;
    return { items, metadata: { resourceVersion, ...(next ? { _continue: next } : {}) } };
  };
  return { fetchPage, asked };
}

test('listAllPages follows continue tokens and gathers every item in order', async () => {
  const all = Array.from({ length: 11 }, (_, i) => i);
  const { fetchPage, asked } = pagesOf(all);
  const listed = await listAllPages(fetchPage, 4);
  assert.deepEqual(listed.items, all);
  assert.equal(listed.resourceVersion, '42');
  assert.deepEqual(asked, [
    { limit: 4, token: undefined },
    { limit: 4, token: 'after-4' },
    { limit: 4, token: 'after-8' },
  ]);
});

test('listAllPages makes one request when everything fits, and handles an empty collection', async () => {
  const small = pagesOf([1, 2, 3]);
  assert.deepEqual((await listAllPages(small.fetchPage)).items, [1, 2, 3]);
  assert.equal(small.asked.length, 1);
  assert.equal(small.asked[0]!.limit, 500);
  const empty = pagesOf([], '7');
  assert.deepEqual(await listAllPages(empty.fetchPage, 10), { items: [], resourceVersion: '7' });
});

test('listAllPages treats an empty continue token as the end, and a failed page as a failed list', async () => {
  const done = await listAllPages(async () => ({ items: ['a'], metadata: { resourceVersion: '3', _continue: '' } }));
  assert.deepEqual(done, { items: ['a'], resourceVersion: '3' });
  let calls = 0;
  const gone = Object.assign(new Error('continue token expired'), { code: 410 });
  await assert.rejects(
    listAllPages(async (_limit, token) => {
      calls++;
      if (token) throw gone;
      return { items: [1], metadata: { _continue: 'next' } };
    }, 1),
    gone,
  );
  assert.equal(calls, 2);
});

test('listAllPages refuses a page size that is not a positive integer', async () => {
  for (const size of [0, -1, 1.5, NaN]) {
    await assert.rejects(listAllPages(async () => ({ items: [] }), size), RangeError);
  }
});
