#!/usr/bin/env node
import './require-node.ts';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { parseFlags, wholeNumber } from '../kit/cli.ts';
import { newLogger } from '../kit/log.ts';
import { Readiness } from '../kit/health.ts';
import { isAccessDeniedError } from '../kit/sd/kubernetes/access-denied.ts';
import { runHttpServer, runMain } from '../kit/run-server.ts';
import { serverFlags, serverSettings } from '../kit/server-flags.ts';
import { composeService } from '../stringsvc/compose-service.ts';
import { makeEndpoints, makeRoutes } from '../stringsvc/transport.ts';
import { proxyConfig, proxyFlags } from '../stringsvc/proxy-flags.ts';
import { discoveryConfig, discoveryFlags } from '../stringsvc/discovery-flags.ts';
import { balancerChoice, balancerFlags } from '../stringsvc/balancer-flags.ts';
import { topologyConfig, topologyFlags } from '../stringsvc/topology-flags.ts';
import { tracingConfig, tracingFlags } from '../kit/tracing/flags.ts';
import { clientLimitConfig, clientLimitFlags } from '../stringsvc/client-limit-flags.ts';

const flags = {
  listen: { default: ':8080', help: 'HTTP listen address.' },
  'metrics-prefix': { default: 'my_group_string_service_', help: 'Prefix of the service metrics.' },
  'metrics-instance-limit': { default: '100', help: 'Upstream instances with metric series of their own; above it only those in trouble, the rest as instance="other".' },
  ...serverFlags,
  ...proxyFlags,
  ...discoveryFlags,
  ...balancerFlags,
  ...topologyFlags,
  ...clientLimitFlags,
  ...tracingFlags,
};

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), flags, {
    name: 'stringsvc',
    summary: 'the go-kit string service (uppercase, count) over JSON/HTTP',
    envPrefix: 'STRINGSVC',
  });
  if (!f) return;
  const settings = serverSettings(f);
  const proxy = proxyConfig(f);
  const disc = discoveryConfig(f, proxy.instances);
  const balancer = balancerChoice(f);
  const topology = topologyConfig(f, disc.mode);
  const clientLimit = clientLimitConfig(f);
  const logger = newLogger(settings.logLevel, { listen: f.listen });
  // The tier names the service unless told otherwise, as the chart does.
  const tier = proxy.instances.length > 0 || disc.mode === 'endpointslices' || disc.mode === 'endpoints' ? 'stringsvc-frontend' : 'stringsvc-backend';
  const traced = tracingConfig(f, tier);
  // Loaded only here: with tracing off the process never loads the SDK.
  const tracing = traced ? (await import('../kit/tracing/start.ts')).startTracing(traced, logger) : undefined;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const readiness = new Readiness();

  const discovery =
    disc.mode === 'endpointslices' || disc.mode === 'endpoints'
      ? // Loaded only here: the Kubernetes client is most of an idle process's memory.
        await (await import('../stringsvc/discovery.ts')).startDiscovery({ config: { ...disc, mode: disc.mode }, logger, registry, readiness, ...(topology ? { topology } : {}) })
      : undefined;
  const built = composeService({
    proxy,
    registry,
    logger,
    requestLog: settings.requestLog,
    metricsPrefix: f['metrics-prefix'],
    metricsInstanceLimit: wholeNumber('metrics-instance-limit', f['metrics-instance-limit']),
    balancer,
    ...(discovery ? { discovered: discovery.discovered } : {}),
    ...(tracing ? { tracing: tracing.client } : {}),
  });

  // Loaded only here: with per-client limits off the process never loads rate-limiter-flexible.
  const limiting = clientLimit ? (await import('../stringsvc/client-limit.ts')).clientLimiting(clientLimit, { registry, logger }) : undefined;

  await runHttpServer({
    settings,
    logger,
    registry,
    readiness,
    routes: makeRoutes(makeEndpoints(built.svc), { repeats: built.repeats }),
    ...(tracing ? { tracing } : {}),
    ...(limiting ? { admission: limiting.admission } : {}),
    onClosed: async () => {
      await discovery?.stop();
      built.close();
      limiting?.close();
    },
  });
}

// An RBAC denial is a deployment mistake, not a bug: its one line says what to grant.
runMain('stringsvc', main, isAccessDeniedError);
