import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineBatcher, type BlockSink } from './line-batcher.ts';

/** recorder is a sink that keeps every block and counts flushes. */
function recorder(): BlockSink & { blocks: string[]; flushes: number } {
  return {
    blocks: [],
    flushes: 0,
    write(block) {
      this.blocks.push(block);
      return true;
    },
    flush(cb) {
      this.flushes++;
      cb?.();
    },
  };
}

test('lines are passed on as one block once the block size is reached, in order', () => {
  const sink = recorder();
  const batcher = new LineBatcher(sink, 10);
  batcher.write('abcd\n');
  assert.deepEqual(sink.blocks, [], 'held below the block size');
  assert.equal(batcher.pending, true);
  batcher.write('efgh\n');
  assert.deepEqual(sink.blocks, ['abcd\nefgh\n']);
  assert.equal(batcher.pending, false);
  batcher.write('a line longer than a block\n');
  assert.deepEqual(sink.blocks, ['abcd\nefgh\n', 'a line longer than a block\n']);
});

test('flush passes a partial block on and asks the sink to write; an empty flush passes nothing', () => {
  const sink = recorder();
  const batcher = new LineBatcher(sink, 1024);
  batcher.write('one\n');
  let called = false;
  batcher.flush(() => (called = true));
  assert.deepEqual(sink.blocks, ['one\n']);
  assert.equal(called, true);
  batcher.flush();
  assert.deepEqual(sink.blocks, ['one\n'], 'no empty block');
  assert.equal(sink.flushes, 2);
});
