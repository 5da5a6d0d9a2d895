import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from './context.ts';
import { RepeatLog } from './log-repeats.ts';

interface Line {
  who: string;
  obj: Record<string, unknown>;
  msg: string | undefined;
}

/** recording makes loggers that append to one list, each tagged with its name. */
function recording(): { lines: Line[]; logger(who: string): Logger } {
  const lines: Line[] = [];
  const logger = (who: string): Logger => {
    const l: Logger = {
      info: () => {},
      debug: () => {},
      error: () => {},
      warn: (obj, msg) => void lines.push({ who, obj: obj as Record<string, unknown>, msg }),
      child: () => l,
    };
    return l;
  };
  return { lines, logger };
}

test('the first of a kind logs at once on the request logger; repeats make one line per window with their count and an example id', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { lines, logger } = recording();
  const repeats = new RepeatLog(logger('process'), { windowMs: 1000 });
  for (let i = 0; i < 1000; i++) {
    repeats.warn('10.0.0.1|rate_limited', { requestId: `r${i}`, logger: logger(`r${i}`) }, { instance: '10.0.0.1', reason: 'rate_limited' }, 'upstream attempt failed; retrying');
  }
  repeats.warn('10.0.0.2|timeout', { requestId: 'x', logger: logger('x') }, { instance: '10.0.0.2' }, 'upstream attempt failed; retrying');
  assert.deepEqual(lines.map((l) => l.who), ['r0', 'x'], 'one line per kind, at once');
  t.mock.timers.tick(1000);
  assert.equal(lines.length, 3, 'the window ends with one summary, for the kind that repeated only');
  assert.deepEqual(lines[2], {
    who: 'process',
    obj: { instance: '10.0.0.1', reason: 'rate_limited', repeated: 999, example_request_id: 'r999', window_ms: 1000 },
    msg: 'upstream attempt failed; retrying (repeated)',
  });
  repeats.warn('10.0.0.1|rate_limited', { requestId: 'again', logger: logger('again') }, {}, 'upstream attempt failed; retrying');
  assert.equal(lines.at(-1)?.who, 'again', 'a new window logs the first of a kind at once again');
});

test('kinds past maxKinds count together, so the lines per window stay bounded whatever the number of kinds', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { lines, logger } = recording();
  const repeats = new RepeatLog(logger('process'), { windowMs: 1000, maxKinds: 4 });
  for (let i = 0; i < 10_000; i++) repeats.warn(`instance-${i}`, { requestId: `r${i}`, logger: logger('req') }, { i }, 'failed');
  t.mock.timers.tick(1000);
  assert.equal(lines.length, 4 + 1 + 1, 'four kinds, the first of the rest, and one summary of the rest');
  assert.deepEqual(lines.at(-1)?.obj, { i: 9999, repeated: 9995, example_request_id: 'r9999', window_ms: 1000 });
  assert.equal(lines.at(-1)?.msg, 'warnings of further kinds (repeated)');
});

test('flush writes what is pending at once, e.g. on shutdown', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { lines, logger } = recording();
  const repeats = new RepeatLog(logger('process'));
  repeats.warn('k', { requestId: 'a', logger: logger('a') }, {}, 'm');
  repeats.warn('k', { requestId: 'b', logger: logger('b') }, {}, 'm');
  repeats.flush();
  assert.deepEqual(lines.map((l) => [l.who, l.obj['repeated']]), [['a', undefined], ['process', 1]]);
  t.mock.timers.tick(60_000);
  assert.equal(lines.length, 2, 'nothing more once flushed');
});
