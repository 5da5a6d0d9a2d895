import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Expvar, publishProcessVars } from './expvar.ts';

test("renders like Go's expvar handler: sorted keys, one per line", () => {
  const vars = new Expvar();
  const n = vars.newInt('request.count');
  vars.publish('cmdline', () => ['countersvc', '--rate=1']);
  n.add(3);
  n.add(1);
  assert.equal(n.value(), 4);
  assert.equal(vars.render(), '{\n"cmdline": ["countersvc","--rate=1"],\n"request.count": 4\n}\n');
});

test('a name is published once', () => {
  const vars = new Expvar();
  vars.newInt('x');
  assert.throws(() => vars.newInt('x'), /reuse of exported var name: x/);
});

test('process vars carry cmdline and memory readings', () => {
  const vars = new Expvar();
  publishProcessVars(vars, ['node', 'countersvc']);
  const parsed = JSON.parse(vars.render()) as { cmdline: string[]; memstats: Record<string, number>; memoryUsage: Record<string, number> };
  assert.deepEqual(parsed.cmdline, ['node', 'countersvc']);
  assert.ok(parsed.memstats['HeapAlloc']! > 0 && parsed.memstats['Sys']! > 0);
  assert.ok(parsed.memoryUsage['rss']! > 0);
});
