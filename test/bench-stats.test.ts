import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, pairedRatio, quantile } from '../bench/lib/stats.ts';

test('bench statistics: median, nearest-rank quantile and the paired ratio of rounds', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(quantile([5, 1, 4, 2, 3], 0.99), 5);
  // Round 2 ran on a slowed machine and round 3 caught a hiccup of ours alone: pairs keep 0.8,
  // while the ratio of the medians (60 / 100) would report 0.6.
  const ours = [80, 40, 60];
  const peer = [100, 50, 100];
  assert.equal(pairedRatio(ours, peer), 0.8);
  assert.equal(median(ours) / median(peer), 0.6);
  assert.throws(() => pairedRatio([1], [1, 2]), /equal, non-empty/);
});
