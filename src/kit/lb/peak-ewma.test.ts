import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outstanding } from './load.ts';
import { peakEwma } from './peak-ewma.ts';

test('a slower answer raises the estimate at once; faster ones pull it down over the decay time', () => {
  const load = peakEwma({ decayMs: 1000 })();
  assert.equal(load.estimate?.(0), undefined);
  assert.equal(load.cost(0, 7), 7, 'unmeasured: the neutral cost');
  load.start(0)(10, true);
  assert.equal(load.estimate?.(10), 10);
  load.start(10)(110, true);
  assert.equal(load.estimate?.(110), 100, 'peak: jumps to the slow sample');
  load.start(110)(112, true);
  const after = (load.estimate?.(112) ?? NaN);
  assert.ok(after > 99 && after < 100, 'a fast answer right after barely moves it');
  load.start(1112)(1114, true);
  const later = (load.estimate?.(1114) ?? NaN);
  assert.ok(later > 30 && later < 40, `after one decay time it is about a third: ${later}`);
});

test('cost multiplies the estimate by calls in flight + 1; the estimate decays while idle', () => {
  const load = peakEwma({ decayMs: 1000 })();
  load.start(0)(20, true);
  const a = load.start(20);
  const b = load.start(20);
  assert.equal(load.cost(20, 0), 60);
  a(20, true);
  b(20, true);
  assert.ok(load.cost(3020, 0) < 20 * Math.exp(-2.9), 'idle for three decay times');
});

test('a fast failure never lowers the estimate; an end reported twice counts once', () => {
  const load = peakEwma({ decayMs: 1000 })();
  load.start(0)(50, true);
  const end = load.start(50);
  end(51, false);
  end(51, false);
  assert.ok((load.estimate?.(51) ?? NaN) > 49.9);
  assert.ok(load.cost(51, 0) < 50.1, 'nothing left in flight');
  assert.throws(() => peakEwma({ decayMs: 0 }), RangeError);
});

test('outstanding counts calls in flight', () => {
  const load = outstanding()();
  const ends = [load.start(0), load.start(0), load.start(0)];
  assert.equal(load.cost(0, 0), 3);
  ends[0]!(1, true);
  ends[0]!(1, true);
  assert.equal(load.cost(1, 0), 2);
});
