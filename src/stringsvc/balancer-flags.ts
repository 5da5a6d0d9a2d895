import { durationMs, UsageError, type FlagSpec } from '../kit/cli.ts';
import { balancerKinds, type BalancerChoice, type BalancerKind } from '../kit/lb/choose.ts';

/** balancerFlags choose how the frontend spreads calls over backend instances. */
export const balancerFlags = {
  balancer: { default: 'round-robin', help: 'round-robin, p2c-ewma (two random choices, lower latency × load wins) or least-request (two random choices, fewer calls in flight wins).' },
  'balancer-decay': { default: '10s', help: 'p2c-ewma: time constant of the latency average; smaller forgets a slow spell sooner.' },
} satisfies Record<string, FlagSpec>;

/** balancerChoice validates the balancer flags; mistakes are UsageErrors (exit 2). */
export function balancerChoice(f: { [K in keyof typeof balancerFlags]: string }): BalancerChoice {
  if (!(balancerKinds as readonly string[]).includes(f.balancer)) {
    throw new UsageError(`--balancer: "${f.balancer}" is not ${balancerKinds.join(', ')}`);
  }
  const decayMs = durationMs('balancer-decay', f['balancer-decay']);
  if (decayMs <= 0) throw new UsageError('--balancer-decay must be greater than zero');
  return { kind: f.balancer as BalancerKind, decayMs };
}
