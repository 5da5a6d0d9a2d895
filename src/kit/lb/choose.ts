import { roundRobin, type Balancer, type EndpointSource } from './balancer.ts';
import { outstanding } from './load.ts';
import { p2c } from './p2c.ts';
import { peakEwma } from './peak-ewma.ts';

/** balancerKinds lists the balancers by their flag name; round robin is the seed's and the default. */
export const balancerKinds = ['round-robin', 'p2c-ewma', 'least-request'] as const;

/** BalancerKind names one balancer. */
export type BalancerKind = (typeof balancerKinds)[number];

/** BalancerChoice is a balancer and its tuning; decayMs only matters to p2c-ewma. */
export interface BalancerChoice {
  kind: BalancerKind;
  /** decayMs is peak EWMA's time constant. Default 10 s, Finagle's and Linkerd's. */
  decayMs?: number;
}

/** defaultDecayMs is peak EWMA's default time constant. */
export const defaultDecayMs = 10_000;

/** newBalancer builds the chosen balancer over a source of endpoints (usually the Endpointer). */
export function newBalancer<Req, Res>(choice: BalancerChoice, source: EndpointSource<Req, Res>): Balancer<Req, Res> {
  switch (choice.kind) {
    case 'round-robin':
      return roundRobin(source);
    case 'p2c-ewma':
      return p2c(source, { load: peakEwma({ decayMs: choice.decayMs ?? defaultDecayMs }) });
    case 'least-request':
      return p2c(source, { load: outstanding() });
  }
}
