import { checkedSum, type Store } from './store.ts';

/**
 * memoryStore keeps the total in this process only, as the counter article does: every
 * replica counts on its own and a restart starts again from zero. Use the Kubernetes store
 * when the total must be shared or survive restarts.
 */
export function memoryStore(initial = 0): Store {
  let total = initial;
  return {
    async add(delta) {
      total = checkedSum(total, delta);
      return total;
    },
  };
}
