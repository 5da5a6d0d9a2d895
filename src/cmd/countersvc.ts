#!/usr/bin/env node
import './require-node.ts';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { parseFlags, positiveNumber, UsageError } from '../kit/cli.ts';
import { chain, type Middleware } from '../kit/endpoint.ts';
import { Readiness } from '../kit/health.ts';
import { newLogger } from '../kit/log.ts';
import { erroringLimiter, tokenBucket } from '../kit/ratelimit/limiter.ts';
import { runHttpServer, runMain } from '../kit/run-server.ts';
import { serverFlags, serverSettings } from '../kit/server-flags.ts';
import { makeAddEndpoint, type AddRequest, type AddResponse } from '../countersvc/endpoints.ts';
import { Expvar, publishProcessVars } from '../countersvc/expvar.ts';
import { instrumentingMiddleware } from '../countersvc/instrumenting.ts';
import { loggingMiddleware } from '../countersvc/logging.ts';
import { isStoreStartupError, openStore } from '../countersvc/open-store.ts';
import { newCounterService } from '../countersvc/service.ts';
import { makeRoutes } from '../countersvc/transport.ts';
import { tracingConfig, tracingFlags } from '../kit/tracing/flags.ts';

// Platforms like the article's Heroku say which port to bind through PORT.
const port = process.env['PORT'];

const flags = {
  listen: { default: port ? `:${port}` : ':8080', help: 'HTTP listen address (default :$PORT when PORT is set).' },
  rate: { default: '0.5', help: 'Adds allowed per second (token bucket refill), as the article: 1 every 2s.' },
  burst: { default: '1', help: 'Token bucket size: adds allowed at once after a quiet spell.' },
  store: { default: 'memory', help: 'memory (per process, lost on restart) or kubernetes (a ConfigMap shared by all replicas).' },
  configmap: { default: 'countersvc', help: 'ConfigMap holding the total, with --store=kubernetes.' },
  namespace: { default: '', help: 'Namespace of the ConfigMap (default: POD_NAMESPACE, the ServiceAccount namespace, the kubeconfig context, default).' },
  'metrics-prefix': { default: 'countersvc_', help: 'Prefix of the service metrics.' },
  ...serverFlags,
  ...tracingFlags,
};

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), flags, {
    name: 'countersvc',
    summary: "the go-kit counter article's service (POST /add, GET /debug/vars) over JSON/HTTP",
    envPrefix: 'COUNTERSVC',
  });
  if (!f) return;
  const settings = serverSettings(f);
  if (f.store !== 'memory' && f.store !== 'kubernetes') throw new UsageError(`--store: "${f.store}" is not memory or kubernetes`);
  const rate = positiveNumber('rate', f.rate);
  const burst = positiveNumber('burst', f.burst);
  if (burst < 1) throw new UsageError(`--burst: "${f.burst}" must be at least 1`);
  const logger = newLogger(settings.logLevel, { listen: f.listen });
  const traced = tracingConfig(f, 'countersvc');
  // Loaded only here: with tracing off the process never loads the SDK.
  const tracing = traced ? (await import('../kit/tracing/start.ts')).startTracing(traced, logger) : undefined;

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const vars = new Expvar();
  publishProcessVars(vars);
  const store = await openStore({ kind: f.store, configmap: f.configmap, namespace: f.namespace, registry, metricsPrefix: f['metrics-prefix'], logger });

  // The article's order: logging → metrics → rate limit → add, so refused adds are logged and counted.
  const middlewares: Middleware<AddRequest, AddResponse>[] = [];
  if (settings.requestLog) middlewares.push(loggingMiddleware({ logger }));
  middlewares.push(instrumentingMiddleware({ requestCount: vars.newInt('request.count'), registry, prefix: f['metrics-prefix'] }));
  middlewares.push(erroringLimiter(tokenBucket({ rate, burst })));
  // Innermost, so the span covers the store's work only, and refused adds make none.
  if (tracing) middlewares.push(tracing.endpoint<AddRequest, AddResponse>('countersvc.add'));
  const add = chain(...middlewares)(makeAddEndpoint(newCounterService(store)));

  logger.info({ rate, burst }, 'rate limit');
  await runHttpServer({ settings, logger, registry, readiness: new Readiness(), routes: makeRoutes(add, vars), ...(tracing ? { tracing } : {}), onClosed: () => store.close?.() });
}

runMain('countersvc', main, isStoreStartupError);
