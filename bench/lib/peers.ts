import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from './proc.ts';

/** waitForPort resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** spawnPeer starts a third-party proxy pinned to `cpus` and waits for its port. */
async function spawnPeer(argv: string[], port: number, cpus: string): Promise<Server> {
  const proc = spawn('taskset', ['-c', cpus, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await Promise.race([
    waitForPort(port),
    once(proc, 'exit').then(([code]) => Promise.reject(new Error(`${argv[0]} exited ${code}: ${stderr}`))),
  ]);
  return {
    proc,
    addr: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    },
  };
}

/** startHaproxy runs HAProxy (one thread, round robin, pooled keep-alive to the backends). */
export function startHaproxy(port: number, backends: string[], cpus: string): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'haproxy-'));
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    [
      'global',
      '  nbthread 1',
      '  maxconn 4096',
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 30s',
      '  timeout server 30s',
      '  option http-keep-alive',
      'frontend fe',
      `  bind 127.0.0.1:${port}`,
      '  default_backend be',
      'backend be',
      '  balance roundrobin',
      '  http-reuse always',
      ...backends.map((b, i) => `  server b${i} ${b}`),
      '',
    ].join('\n'),
  );
  return spawnPeer(['haproxy', '-db', '-f', cfg], port, cpus);
}

/** startNginx runs nginx (one worker, upstream round robin with keep-alive, no access log). */
export function startNginx(port: number, backends: string[], cpus: string): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'nginx-'));
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
  const cfg = join(dir, 'nginx.conf');
  writeFileSync(
    cfg,
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream be {
${backends.map((b) => `    server ${b};`).join('\n')}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://be;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  return spawnPeer(['nginx', '-c', cfg, '-p', dir], port, cpus);
}
