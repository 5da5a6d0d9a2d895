#!/usr/bin/env node
import { Registry, collectDefaultMetrics } from 'prom-client';
import { bool, bytes, durationMs, isUsageError, listenAddress, parseFlags, UsageError } from '../kit/cli.ts';
import { flushLogs, isLevel, newLogger } from '../kit/log.ts';
import { Readiness } from '../kit/health.ts';
import { background } from '../kit/context.ts';
import { createApp } from '../kit/transport/http/app.ts';
import { addressOf, listen } from '../kit/transport/http/listen.ts';
import { onSignals } from '../kit/lifecycle.ts';
import { buildService } from '../stringsvc/build.ts';
import { makeEndpoints } from '../stringsvc/endpoints.ts';
import { proxyConfig, proxyFlags } from '../stringsvc/proxy-flags.ts';
import { discoveryConfig, discoveryFlags } from '../stringsvc/discovery-flags.ts';
import { startDiscovery, type Discovery } from '../stringsvc/discovery.ts';
import { isAccessDeniedError } from '../kit/sd/kubernetes/rbac.ts';
import { makeRoutes } from '../stringsvc/transport.ts';

const flags = {
  listen: { default: ':8080', help: 'HTTP listen address.' },
  'log-level': { default: 'info', help: 'fatal, error, warn, info, debug, trace or silent.' },
  'request-log': { default: 'true', help: 'Log every request (access log and service log lines).' },
  'metrics-prefix': { default: 'my_group_string_service_', help: 'Prefix of the service metrics.' },
  'body-limit': { default: '1mb', help: 'Largest request body accepted (413 beyond).' },
  'handler-timeout': { default: '30s', help: 'Deadline for handling one request.' },
  'headers-timeout': { default: '10s', help: 'Time a client has to send the request headers.' },
  'request-timeout': { default: '30s', help: 'Time a client has to send the whole request.' },
  'keep-alive-timeout': { default: '5s', help: 'Idle time before a keep-alive connection is closed.' },
  grace: { default: '10s', help: 'On SIGTERM, time in-flight requests get to finish.' },
  'shutdown-delay': { default: '0s', help: 'On SIGTERM, time to keep serving while unready, before draining.' },
  ...proxyFlags,
  ...discoveryFlags,
};

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), flags, {
    name: 'stringsvc',
    summary: 'the go-kit string service (uppercase, count) over JSON/HTTP',
    envPrefix: 'STRINGSVC',
  });
  if (!f) return;
  if (!isLevel(f['log-level'])) throw new UsageError(`--log-level: "${f['log-level']}" is not a log level`);
  const addr = listenAddress('listen', f.listen);
  const requestLog = bool('request-log', f['request-log']);
  const proxy = proxyConfig(f);
  const disc = discoveryConfig(f, proxy.instances);
  const logger = newLogger(f['log-level'], { listen: f.listen });

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const readiness = new Readiness();

  let discovery: Discovery | undefined;
  if (disc.mode === 'endpointslices' || disc.mode === 'endpoints') {
    discovery = await startDiscovery({ config: { ...disc, mode: disc.mode }, logger, registry, readiness });
  }
  const built = buildService({
    proxy,
    registry,
    logger,
    requestLog,
    metricsPrefix: f['metrics-prefix'],
    ...(discovery
      ? {
          discovered: {
            instancer: discovery.instancer,
            describe: { discovery: disc.mode, service: disc.service, port: disc.port },
            ...(disc.invalidateOnErrorMs !== undefined ? { invalidateOnErrorMs: disc.invalidateOnErrorMs } : {}),
          },
        }
      : {}),
  });

  const app = createApp({
    logger,
    registry,
    readiness,
    routes: makeRoutes(makeEndpoints(built.svc), { classify: built.classify }),
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
  logger.info({ addr: addressOf(server) }, 'HTTP');
  onSignals({
    servers: [server],
    readiness,
    logger: background(logger).logger,
    graceMs: durationMs('grace', f.grace),
    delayMs: durationMs('shutdown-delay', f['shutdown-delay']),
    onClosed: async () => {
      await discovery?.stop();
      built.close();
    },
    beforeExit: () => flushLogs(logger),
  });
}

main().catch((err: unknown) => {
  if (isUsageError(err)) {
    process.stderr.write(`stringsvc: ${err.message}\nRun 'stringsvc --help' for usage.\n`);
    process.exit(2);
  }
  if (isAccessDeniedError(err)) {
    // A deployment mistake, not a bug: the message says what to grant; a stack trace would bury it.
    process.stderr.write(`stringsvc: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`stringsvc: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
