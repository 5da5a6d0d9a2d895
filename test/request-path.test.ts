import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const map = readFileSync(new URL('docs/request-path.md', root), 'utf8');

test('the request-path map stays short and every file it names exists', () => {
  assert.ok(map.trimEnd().split('\n').length <= 20, 'the map is at most 20 lines');
  const named = [...map.matchAll(/`((?:src|test)\/[\w./-]+\.ts)`/g)].map((m) => m[1]!);
  const steps = [...map.matchAll(/^\d+\. `(src\/[\w./-]+\.ts)`/gm)].map((m) => m[1]!);
  assert.ok(steps.length >= 10 && steps.length <= 15, `one numbered step per file, at most 15 (${steps.length})`);
  assert.equal(new Set(steps).size, steps.length, 'each file once');
  for (const file of named) assert.ok(existsSync(new URL(file, root)), `${file} is named in docs/request-path.md but does not exist`);
});
