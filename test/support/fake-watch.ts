import type { Timers } from '../../src/kit/sd/kubernetes/watcher.ts';
import type { Listed, ResourceClient, WatchEventType } from '../../src/kit/sd/kubernetes/resource-client.ts';
import { within } from './wait.ts';

// Fakes for the Watcher's unit tests (src/kit/sd/kubernetes/watcher*.test.ts): a scripted API client and test-driven timers.

export interface Obj {
  metadata: { name: string; resourceVersion: string };
}

/** FakeClient scripts lists and lets the test drive the open watch. */
export class FakeClient implements ResourceClient<Obj> {
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

  /** nextWatch resolves when the following watch connection is open (a test awaits every one it asks for). */
  nextWatch(): Promise<void> {
    return within(new Promise((r) => this.opened.push(r)), 10_000, 'the watcher to open its next watch');
  }
}

export const obj = (name: string, rv: string): Obj => ({ metadata: { name, resourceVersion: rv } });

/** instantTimers fire on the next tick whatever the delay, recording the delays asked for. */
export function instantTimers(asked: number[]): Timers {
  return {
    setTimeout: (fn, ms) => {
      asked.push(ms);
      return ms >= 60_000 ? undefined : setTimeout(fn, 0);
    },
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
}

/** manualTimers fire only when the test moves their clock, so no timing depends on the machine's speed. */
export function manualTimers() {
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
