// The node's host cleanup on the real kernel: an iptables-nft table the node's first rule created
// is deleted once empty, so a fresh machine is left without it; a table still holding a rule stays,
// so the leak check shows that rule. Uses `ip security`, a table nothing else here touches.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { skipOrThrow } from '../controlplane/require.ts';
import { nftTables, removeNewEmptyTables } from './host.ts';
import { nodeSkipReason } from './runtime.ts';

const skip = skipOrThrow('cluster', nodeSkipReason());
const table = 'ip security';
const rule = (op: '-A' | '-D'): string[] => ['-t', 'security', op, 'OUTPUT', '-d', '127.0.0.77/32', '-j', 'ACCEPT'];
const iptables = (...args: string[]): void => void execFileSync('iptables', args, { stdio: 'ignore' });

describe('host cleanup of nftables tables', { skip, timeout: 60_000 }, () => {
  test('a table the node created goes once empty; one holding a rule, or there before, stays', () => {
    const before = nftTables();
    const existed = before.includes(table);
    try {
      iptables('-t', 'security', '-N', 'STRINGSVC-HOST-TEST');
      iptables('-t', 'security', '-X', 'STRINGSVC-HOST-TEST');
      iptables(...rule('-A'));
      assert.ok(nftTables().includes(table), 'iptables made the table');
      removeNewEmptyTables(before);
      assert.ok(nftTables().includes(table), 'a table holding a rule stays');
      iptables(...rule('-D'));
      removeNewEmptyTables(before);
      assert.equal(nftTables().includes(table), existed, existed ? 'a table there before stays' : 'the emptied new table is gone');
    } finally {
      spawnSync('iptables', rule('-D'), { stdio: 'ignore' });
      if (!existed) spawnSync('nft', ['delete', 'table', 'ip', 'security'], { stdio: 'ignore' });
    }
  });
});
