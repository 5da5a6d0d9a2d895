import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, Watcher, type Timers } from './watcher.ts';
import { statusCode, type Listed, type ResourceClient, type WatchEventType } from './resource-client.ts';

interface Obj {
  metadata: { name: string; resourceVersion: string };
}

/** FakeClient scripts lists and lets the test drive the open watch. */
class FakeClient implements ResourceClient<Obj> {
  lists: Array<Listed<Obj> | Error> = [];
  watchResults: Array<Error | undefined> = [];
  watchedFrom: string[] = [];
  listCalls = 0;
  #onEvent: ((type: WatchEventType, object: unknown) => void) | undefined;
  #onDone: ((err: unknown) => void) | undefined;
  opened: Array<() => void> = [];

  async list(): Promise<Listed<Obj>> {
    this.listCalls++;
    const next = this.lists.shift();
    if (!next) throw new Error('no list scripted');
    if (next instanceof Error) throw next;
    return next;
  }

  async watch(rv: string, onEvent: (type: WatchEventType, object: unknown) => void, onDone: (err: unknown) => void) {
    this.watchedFrom.push(rv);
    const failure = this.watchResults.shift();
    if (failure) {
      onDone(failure);
      return { abort() {} };
    }
    this.#onEvent = onEvent;
    this.#onDone = onDone;
    for (const f of this.opened.splice(0)) f();
    return { abort: () => (this.#onDone = undefined) };
  }

  emit(type: WatchEventType, object: unknown): void {
    this.#onEvent?.(type, object);
  }

  close(err?: unknown): void {
    const done = this.#onDone;
    this.#onDone = undefined;
    done?.(err ?? null);
  }

  /** nextWatch resolves when the following watch connection is open. */
  nextWatch(): Promise<void> {
    return new Promise((r) => this.opened.push(r));
  }
}

const obj = (name: string, rv: string): Obj => ({ metadata: { name, resourceVersion: rv } });

/** instantTimers fire on the next tick whatever the delay, recording the delays asked for. */
function instantTimers(asked: number[]): Timers {
  return {
    setTimeout: (fn, ms) => {
      asked.push(ms);
      return ms >= 60_000 ? undefined : setTimeout(fn, 0);
    },
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
}

/** manualTimers fire only when the test moves their clock, so no timing depends on the machine's speed. */
function manualTimers() {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      pending.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void pending.delete(h as number),
  };
  return {
    timers,
    now: () => now,
    pending: () => pending.size,
    /**
     * advance moves the clock by `ms`, firing every timer that falls due, in order, then lets
     * what they set off run: the watcher reacts in promise jobs, all done before the next macrotask.
     */
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = [...pending].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        pending.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = end;
      await new Promise((r) => setImmediate(r));
    },
  };
}

test('backoffDelay grows exponentially, is jittered between half and all, and is capped', () => {
  assert.equal(backoffDelay(1, {}, () => 0), 50);
  assert.equal(backoffDelay(1, {}, () => 0.999999), 100);
  assert.equal(backoffDelay(4, { initialMs: 10 }, () => 0.999999), 80);
  assert.equal(backoffDelay(40, { maxMs: 5000 }, () => 0.999999), 5000);
});

test('statusCode reads ApiException.code and Watch errors’ statusCode', () => {
  assert.equal(statusCode({ code: 403 }), 403);
  assert.equal(statusCode(Object.assign(new Error('Gone'), { statusCode: 410 })), 410);
  assert.equal(statusCode(new Error('ECONNREFUSED')), undefined);
});

test('lists, then watches from the list resourceVersion, tracking it through events and bookmarks', async () => {
  const client = new FakeClient();
  client.lists.push({ items: [obj('a', '5')], resourceVersion: '10' });
  const seen: string[] = [];
  const opened = client.nextWatch();
  const w = new Watcher<Obj>({
    client,
    onReset: (items) => seen.push(`reset:${items.map((i) => i.metadata.name).join()}`),
    onChange: (type, o) => seen.push(`${type}:${o.metadata.name}`),
    onEvent: (type) => type === 'BOOKMARK' && seen.push('bookmark'),
    timers: instantTimers([]),
  });
  w.start();
  await opened;
  client.emit('ADDED', obj('b', '11'));
  client.emit('BOOKMARK', { metadata: { resourceVersion: '15' } });
  const reopened = client.nextWatch();
  client.close();
  await reopened;
  await w.stop();
  assert.deepEqual(seen, ['reset:a', 'ADDED:b', 'bookmark']);
  assert.deepEqual(client.watchedFrom, ['10', '15']);
  assert.equal(client.listCalls, 1);
});

test('a 410 ERROR event relists and hands over the full new list without an empty state in between', async () => {
  const client = new FakeClient();
  client.lists.push({ items: [obj('a', '5')], resourceVersion: '10' });
  client.lists.push({ items: [obj('a', '5'), obj('c', '30')], resourceVersion: '31' });
  const resets: string[][] = [];
  const restarts: string[] = [];
  let opened = client.nextWatch();
  const w = new Watcher<Obj>({
    client,
    onReset: (items) => resets.push(items.map((i) => i.metadata.name)),
    onChange: () => {},
    onRestart: (reason, delay) => restarts.push(`${reason}:${delay}`),
    timers: instantTimers([]),
  });
  w.start();
  await opened;
  opened = client.nextWatch();
  client.emit('ERROR', { kind: 'Status', code: 410, message: 'too old resource version' });
  await opened;
  await w.stop();
  assert.deepEqual(resets, [['a'], ['a', 'c']]);
  assert.deepEqual(restarts, ['gone:0']);
  assert.deepEqual(client.watchedFrom, ['10', '31']);
});

test('errors back off with growing jittered delays and are reported; progress resets the backoff', async () => {
  const client = new FakeClient();
  client.lists.push(new Error('connection refused'), new Error('connection refused'), { items: [], resourceVersion: '1' });
  client.watchResults.push(new Error('socket hang up'), Object.assign(new Error('Gone'), { statusCode: 410 }));
  client.lists.push({ items: [], resourceVersion: '2' });
  const restarts: Array<[string, number]> = [];
  const errors: string[] = [];
  const opened = client.nextWatch();
  const w = new Watcher<Obj>({
    client,
    onReset: () => {},
    onChange: () => {},
    onError: (err) => errors.push((err as Error).message),
    onRestart: (reason, delay) => restarts.push([reason, delay]),
    backoff: { initialMs: 100 },
    random: () => 0.999999,
    timers: instantTimers([]),
  });
  w.start();
  await opened;
  await w.stop();
  assert.deepEqual(restarts, [['error', 100], ['error', 200], ['error', 100], ['gone', 0]]);
  assert.deepEqual(errors, ['connection refused', 'connection refused', 'socket hang up']);
  assert.equal(client.listCalls, 4);
});

test('a silent watch is presumed dead and restarted from the last resourceVersion', async () => {
  const client = new FakeClient();
  client.lists.push({ items: [], resourceVersion: '7' });
  const restarts: string[] = [];
  const opened = client.nextWatch();
  const w = new Watcher<Obj>({
    client,
    onReset: () => {},
    onChange: () => {},
    onRestart: (reason) => restarts.push(reason),
    silentMs: 30,
    backoff: { initialMs: 1 },
  });
  w.start();
  await opened;
  const second = client.nextWatch();
  await second;
  await w.stop();
  assert.deepEqual(restarts, ['silent']);
  assert.deepEqual(client.watchedFrom, ['7', '7']);
});

test('events keep a watch alive past the silence limit', async () => {
  const client = new FakeClient();
  client.lists.push({ items: [], resourceVersion: '1' });
  const restarts: string[] = [];
  let restarted!: () => void;
  const restart = new Promise<void>((r) => (restarted = r));
  const clock = manualTimers();
  const opened = client.nextWatch();
  const w = new Watcher<Obj>({
    client,
    onReset: () => {},
    onChange: () => {},
    onRestart: (r) => (restarts.push(r), restarted()),
    silentMs: 60,
    timers: clock.timers,
    now: clock.now,
  });
  w.start();
  await opened;
  for (let i = 0; i < 5; i++) {
    await clock.advance(25);
    client.emit('BOOKMARK', { metadata: { resourceVersion: String(2 + i) } });
  }
  assert.deepEqual(restarts, [], 'alive 125 ms into a 60 ms silence limit');
  // The limit was in force: the same silence without an event restarts the watch.
  await clock.advance(60);
  await restart;
  await w.stop();
  assert.deepEqual(restarts, ['silent']);
});

test('stop during a backoff wait returns at once', { timeout: 10_000 }, async () => {
  const client = new FakeClient();
  client.lists.push(new Error('refused'));
  let restarted!: () => void;
  const waiting = new Promise<void>((r) => (restarted = r));
  // The clock never moves: stop can only return by ending the wait itself.
  const clock = manualTimers();
  const w = new Watcher<Obj>({ client, onReset: () => {}, onChange: () => {}, onRestart: () => restarted(), backoff: { initialMs: 60_000 }, timers: clock.timers });
  w.start();
  await waiting;
  assert.equal(clock.pending(), 1, 'the backoff wait');
  await w.stop();
  assert.equal(clock.pending(), 0, 'its timer cleared');
});

test('a quiet watch that stayed up does not grow the backoff', async () => {
  const client = new FakeClient();
  client.lists.push({ items: [], resourceVersion: '1' });
  let now = 0;
  const restarts: Array<[string, number]> = [];
  let opened = client.nextWatch();
  const w = new Watcher<Obj>({
    client,
    onReset: () => {},
    onChange: () => {},
    onRestart: (reason, delay) => restarts.push([reason, delay]),
    now: () => now,
    random: () => 0.999999,
    timers: instantTimers([]),
  });
  w.start();
  for (let i = 0; i < 3; i++) {
    await opened;
    await new Promise((r) => setImmediate(r));
    now += 300_000;
    opened = client.nextWatch();
    client.close();
  }
  await opened;
  await w.stop();
  assert.deepEqual(restarts, [['closed', 0], ['closed', 0], ['closed', 0]]);
});

test('a list that never answers is abandoned after the silence limit and retried', async () => {
  let calls = 0;
  const errors: string[] = [];
  const client: ResourceClient<Obj> = {
    list: () => (++calls === 1 ? new Promise<Listed<Obj>>(() => {}) : Promise.resolve({ items: [], resourceVersion: '1' })),
    watch: async () => ({ abort() {} }),
  };
  let synced!: () => void;
  const done = new Promise<void>((r) => (synced = r));
  const w = new Watcher<Obj>({ client, onReset: () => synced(), onChange: () => {}, onError: (e) => errors.push((e as Error).message), silentMs: 30, backoff: { initialMs: 1 } });
  w.start();
  await done;
  await w.stop();
  assert.equal(calls, 2);
  assert.deepEqual(errors, ['list did not answer within 30 ms']);
});
