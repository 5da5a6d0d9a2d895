#!/usr/bin/env node
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { bool, bytes, durationMs, isUsageError, listenAddress, parseFlags, positiveNumber, UsageError } from '../kit/cli.ts';
import { background } from '../kit/context.ts';
import { chain, type Middleware } from '../kit/endpoint.ts';
import { Readiness } from '../kit/health.ts';
import { onSignals } from '../kit/lifecycle.ts';
import { isLevel, newLogger } from '../kit/log.ts';
import { erroringLimiter } from '../kit/ratelimit/limiter.ts';
import { tokenBucket } from '../kit/ratelimit/token-bucket.ts';
import { createApp } from '../kit/transport/http/app.ts';
import { addressOf, listen } from '../kit/transport/http/listen.ts';
import { makeAddEndpoint, type AddRequest, type AddResponse } from '../countersvc/endpoints.ts';
import { Expvar, publishProcessVars } from '../countersvc/expvar.ts';
import { instrumentingMiddleware } from '../countersvc/instrumenting.ts';
import { loggingMiddleware } from '../countersvc/logging.ts';
import { memoryStore } from '../countersvc/memory-store.ts';
import { resolveNamespace } from '../countersvc/namespace.ts';
import { newCounterService } from '../countersvc/service.ts';
import type { Store } from '../countersvc/store.ts';
import { makeRoutes } from '../countersvc/transport.ts';

// Platforms like the article's Heroku say which port to bind through PORT.
const port = process.env['PORT'];

/** StartupError is a failure to reach what the process depends on: one line on stderr, exit 1. */
class StartupError extends Error {
  override readonly name = 'StartupError';
}

const flags = {
  listen: { default: port ? `:${port}` : ':8080', help: 'HTTP listen address (default :$PORT when PORT is set).' },
  rate: { default: '0.5', help: 'Adds allowed per second (token bucket refill), as the article: 1 every 2s.' },
  burst: { default: '1', help: 'Token bucket size: adds allowed at once after a quiet spell.' },
  store: { default: 'memory', help: 'memory (per process, lost on restart) or kubernetes (a ConfigMap shared by all replicas).' },
  configmap: { default: 'countersvc', help: 'ConfigMap holding the total, with --store=kubernetes.' },
  namespace: { default: '', help: 'Namespace of the ConfigMap (default: POD_NAMESPACE, the ServiceAccount namespace, the kubeconfig context, default).' },
  'log-level': { default: 'info', help: 'fatal, error, warn, info, debug, trace or silent.' },
  'request-log': { default: 'true', help: 'Log every request (access log and service log lines).' },
  'metrics-prefix': { default: 'countersvc_', help: 'Prefix of the service metrics.' },
  'body-limit': { default: '1mb', help: 'Largest request body accepted (413 beyond).' },
  'handler-timeout': { default: '30s', help: 'Deadline for handling one request.' },
  'headers-timeout': { default: '10s', help: 'Time a client has to send the request headers.' },
  'request-timeout': { default: '30s', help: 'Time a client has to send the whole request.' },
  'keep-alive-timeout': { default: '5s', help: 'Idle time before a keep-alive connection is closed.' },
  grace: { default: '10s', help: 'On SIGTERM, time in-flight requests get to finish.' },
  'shutdown-delay': { default: '0s', help: 'On SIGTERM, time to keep serving while unready, before draining.' },
};

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), flags, {
    name: 'countersvc',
    summary: "the go-kit counter article's service (POST /add, GET /debug/vars) over JSON/HTTP",
    envPrefix: 'COUNTERSVC',
  });
  if (!f) return;
  if (!isLevel(f['log-level'])) throw new UsageError(`--log-level: "${f['log-level']}" is not a log level`);
  if (f.store !== 'memory' && f.store !== 'kubernetes') throw new UsageError(`--store: "${f.store}" is not memory or kubernetes`);
  const addr = listenAddress('listen', f.listen);
  const rate = positiveNumber('rate', f.rate);
  const burst = positiveNumber('burst', f.burst);
  if (burst < 1) throw new UsageError(`--burst: "${f.burst}" must be at least 1`);
  const requestLog = bool('request-log', f['request-log']);
  const logger = newLogger(f['log-level'], { listen: f.listen });

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const readiness = new Readiness();
  const vars = new Expvar();
  publishProcessVars(vars);

  let store: Store;
  if (f.store === 'kubernetes') {
    // Loaded only when used: the client library triples start-up time.
    const { CoreV1Api, KubeConfig } = await import('@kubernetes/client-node');
    const { kubernetesStore } = await import('../countersvc/kubernetes-store.ts');
    const kc = new KubeConfig();
    if (process.env['KUBERNETES_SERVICE_HOST']) kc.loadFromCluster();
    else kc.loadFromDefault();
    const namespace = resolveNamespace({ flag: f.namespace, kubeconfigNamespace: kc.getContextObject(kc.getCurrentContext())?.namespace });
    const conflicts = new Counter({ name: `${f['metrics-prefix']}store_conflicts_total`, help: 'ConfigMap writes refused with 409 Conflict (then retried).', registers: [registry] });
    const writes = new Counter({ name: `${f['metrics-prefix']}store_writes_total`, help: 'ConfigMap writes that succeeded (each commits a batch of adds).', registers: [registry] });
    store = kubernetesStore({
      api: kc.makeApiClient(CoreV1Api),
      namespace,
      name: f.configmap,
      onConflict: () => conflicts.inc(),
      onCommit: () => writes.inc(),
    });
    // Create or read the ConfigMap now, so RBAC or connection mistakes show at startup.
    const total = await store.add(0).catch((err: unknown) => {
      throw new StartupError(`cannot use ConfigMap ${namespace}/${f.configmap}: ${(err as Error).message}`, { cause: err });
    });
    logger.info({ store: 'kubernetes', namespace, configmap: f.configmap, total }, 'store');
  } else {
    store = memoryStore();
    logger.info({ store: 'memory' }, 'store: in this process only; each replica keeps its own total, lost on restart');
  }

  // The article's order: logging → metrics → rate limit → add, so refused adds are logged and counted.
  const middlewares: Middleware<AddRequest, AddResponse>[] = [];
  if (requestLog) middlewares.push(loggingMiddleware({ logger }));
  middlewares.push(instrumentingMiddleware({ requestCount: vars.newInt('request.count'), registry, prefix: f['metrics-prefix'] }));
  middlewares.push(erroringLimiter(tokenBucket({ rate, burst })));
  const add = chain(...middlewares)(makeAddEndpoint(newCounterService(store)));

  const app = createApp({
    logger,
    registry,
    readiness,
    routes: makeRoutes(add, vars),
    bodyLimitBytes: bytes('body-limit', f['body-limit']),
    handlerTimeoutMs: durationMs('handler-timeout', f['handler-timeout']),
    accessLog: requestLog,
  });
  const server = await listen(app, {
    ...addr,
    headersTimeoutMs: durationMs('headers-timeout', f['headers-timeout']),
    requestTimeoutMs: durationMs('request-timeout', f['request-timeout']),
    keepAliveTimeoutMs: durationMs('keep-alive-timeout', f['keep-alive-timeout']),
  });
  logger.info({ rate, burst }, 'rate limit');
  logger.info({ addr: addressOf(server) }, 'HTTP');
  onSignals({
    servers: [server],
    readiness,
    logger: background(logger).logger,
    graceMs: durationMs('grace', f.grace),
    delayMs: durationMs('shutdown-delay', f['shutdown-delay']),
    onClosed: () => store.close?.(),
  });
}

main().catch((err: unknown) => {
  if (isUsageError(err)) {
    process.stderr.write(`countersvc: ${err.message}\nRun 'countersvc --help' for usage.\n`);
    process.exit(2);
  }
  if (err instanceof StartupError) {
    process.stderr.write(`countersvc: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`countersvc: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
