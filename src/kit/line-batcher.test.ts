import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineBatcher, type BlockSink } from './line-batcher.ts';

/** recorder is a sink that keeps every block (decoded) and counts flushes. */
function recorder(): BlockSink & { blocks: string[]; flushes: number } {
  return {
    blocks: [],
    flushes: 0,
    write(block) {
      assert.ok(Buffer.isBuffer(block));
      this.blocks.push(block.toString('utf8'));
      return true;
    },
    flush(cb) {
      this.flushes++;
      cb?.();
    },
  };
}

test('lines are passed on as one block before the block could overflow, in order', () => {
  const sink = recorder();
  const batcher = new LineBatcher(sink, 30);
  batcher.write('abcd\n');
  batcher.write('efgh\n');
  assert.deepEqual(sink.blocks, [], 'held while a block has room');
  assert.equal(batcher.pending, true);
  // 10 bytes used; 7 units may take 21 bytes: 31 > 30, so the block goes first.
  batcher.write('ijklmn\n');
  assert.deepEqual(sink.blocks, ['abcd\nefgh\n']);
  assert.equal(batcher.pending, true);
  batcher.write('a line longer than a block\n');
  assert.deepEqual(sink.blocks, ['abcd\nefgh\n', 'ijklmn\n', 'a line longer than a block\n']);
  assert.equal(batcher.pending, false);
});

test('multi-byte lines arrive intact and whole, never split across blocks', () => {
  const sink = recorder();
  const batcher = new LineBatcher(sink, 64);
  const lines = Array.from({ length: 40 }, (_, i) => `{"i":${i},"s":"héllo ✓ 😀"}\n`);
  for (const line of lines) batcher.write(line);
  batcher.flush();
  assert.equal(sink.blocks.join(''), lines.join(''));
  for (const block of sink.blocks) {
    assert.ok(Buffer.byteLength(block) <= 64, 'a block stays within its size');
    assert.ok(block.endsWith('\n'), 'a block ends on a line boundary');
  }
});

test('blocks handed over are not written into afterwards', () => {
  const blocks: Buffer[] = [];
  const batcher = new LineBatcher({ write: (b) => blocks.push(b) > 0, flush: () => {} }, 16);
  batcher.write('one\n');
  batcher.flush();
  batcher.write('two\n');
  batcher.flush();
  assert.deepEqual(blocks.map((b) => b.toString()), ['one\n', 'two\n']);
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

test('unflushed tells a flush tick that blocks went to the sink since the last flush', () => {
  const sink = recorder();
  const batcher = new LineBatcher(sink, 30);
  assert.equal(batcher.unflushed, false);
  batcher.write('a line longer than a block\n');
  assert.deepEqual([batcher.pending, batcher.unflushed], [false, true], 'the sink holds a block');
  batcher.flush();
  assert.deepEqual([batcher.pending, batcher.unflushed, sink.flushes], [false, false, 1]);
});
