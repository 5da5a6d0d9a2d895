import type { Context } from '../kit/context.ts';
import type { Store } from './store.ts';

/** CounterService keeps a running total of the integers given to it — the article's Counter. */
export interface CounterService {
  /** add adds `v` (a safe integer) and returns the running total after it. */
  add(ctx: Context, v: number): Promise<number>;
}

/** newCounterService is the plain implementation over a Store, with no logging, metrics or limits. */
export function newCounterService(store: Store): CounterService {
  return {
    async add(ctx, v) {
      return ctx.span ? store.add(v, ctx.span) : store.add(v);
    },
  };
}
