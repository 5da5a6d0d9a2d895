import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Registry } from 'prom-client';
import { Batched } from './batched.ts';

test('updates wait until the batch is full, then apply in order', () => {
  const applied: number[] = [];
  const batch = new Batched<number>((n) => applied.push(n), 3);
  batch.add(1);
  batch.add(2);
  assert.deepEqual(applied, []);
  batch.add(3);
  assert.deepEqual(applied, [1, 2, 3]);
  batch.add(4);
  batch.flush();
  batch.flush();
  assert.deepEqual(applied, [1, 2, 3, 4], 'flush applies what is queued, once');
});

test('wired to collect, a scrape reads every update made before it', async () => {
  const registry = new Registry();
  const batch = new Batched<string>((method) => counter.inc({ method }));
  const counter = new Counter({ name: 'calls_total', help: 'h', labelNames: ['method'], registers: [registry], collect: () => batch.flush() });
  batch.add('uppercase');
  batch.add('uppercase');
  batch.add('count');
  const text = await registry.metrics();
  assert.match(text, /^calls_total\{method="uppercase"\} 2$/m);
  assert.match(text, /^calls_total\{method="count"\} 1$/m);
});
