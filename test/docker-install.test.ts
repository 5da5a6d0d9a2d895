import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Pool } from 'undici';
import { parse } from 'yaml';
import { skipOrThrow } from './controlplane/require.ts';
import { createMemoryCgroup, memoryCgroupSkipReason } from './support/cgroup.ts';
import { repoRoot, startBuilt } from './support/process.ts';

// No Docker engine is needed: the Dockerfile's production steps are replayed in a clean directory.
const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');

/** The instructions of one stage (`FROM … AS name`, or the last, unnamed stage for ''), continuation lines joined. */
function stage(name: string): string[] {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages: { name: string; lines: string[] }[] = [];
  for (const l of lines) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(l);
    if (from) stages.push({ name: from[1] ?? '', lines: [] });
    else stages.at(-1)?.lines.push(l);
  }
  const s = name === '' ? stages.at(-1) : stages.find((x) => x.name === name);
  assert.ok(s, `Dockerfile has no stage ${name || '(final)'}`);
  return s.lines;
}

/** imageEnv is the final stage's `ENV name=value` settings, what every process in the image starts with. */
function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const l of stage('')) {
    const m = /^ENV\s+(\w+)=(\S+)$/.exec(l);
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

/** quantityBytes reads a Kubernetes memory quantity in binary units (`256Mi`). */
function quantityBytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)$/.exec(q);
  assert.ok(m, `memory quantity ${q} is in Ki, Mi or Gi`);
  return Number(m[1]) * 1024 ** (['Ki', 'Mi', 'Gi'].indexOf(m[2]!) + 1);
}

describe('Dockerfile', () => {
  test('multi-stage on Node 24 LTS: build with every dependency, final stage with production ones only', () => {
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:24[-.\w]*$/m);
    assert.deepEqual([...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]), ['${NODE_IMAGE}', '${NODE_IMAGE}', '${NODE_IMAGE}']);
    assert.ok(stage('build').some((l) => /^RUN .*npm ci\b/.test(l) && !l.includes('--omit=dev')));
    assert.ok(stage('build').some((l) => l === 'RUN npm run build'));
    const final = stage('');
    assert.ok(!final.some((l) => l.startsWith('RUN')), 'the final stage runs nothing: it only copies');
    assert.ok(final.includes('COPY --from=prod-deps /app/node_modules ./node_modules'));
    assert.ok(final.includes('COPY --from=build /app/dist ./dist'));
  });

  test('non-root numeric user, exec-form entrypoint so node receives the signals', () => {
    const final = stage('');
    assert.ok(final.includes('USER 1000:1000'));
    assert.ok(final.includes('ENTRYPOINT ["node"]'));
    assert.ok(final.includes('CMD ["dist/cmd/stringsvc.js"]'));
  });

  test('.dockerignore keeps the context to the sources the build needs', () => {
    const ignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8');
    assert.match(ignore, /^\*\*$/m);
    for (const keep of ['!package.json', '!package-lock.json', '!src']) assert.match(ignore, new RegExp(`^${keep.replace(/[.*]/g, '\\$&')}$`, 'm'));
  });
});

describe('Dockerfile production install, replayed without Docker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stringsvc-prod-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('npm ci of the prod-deps stage on the built output gives a working server', { timeout: 240_000 }, async () => {
    assert.ok(existsSync(join(repoRoot, 'dist/cmd/stringsvc.js')), 'run `npm run build` first (npm test does)');
    const run = stage('prod-deps').find((l) => /^RUN .*npm ci\b/.test(l));
    assert.ok(run, 'prod-deps stage runs npm ci');
    const npmArgs = run.replace(/^RUN\s+(--mount=\S+\s+)*npm\s+/, '').split(/\s+/);
    assert.ok(npmArgs.includes('--omit=dev'), run);

    for (const f of ['package.json', 'package-lock.json']) cpSync(join(repoRoot, f), join(dir, f));
    cpSync(join(repoRoot, 'dist'), join(dir, 'dist'), { recursive: true });
    // The npm that runs this test (npm test sets npm_execpath), else the one on PATH.
    const npmCli = process.env['npm_execpath'];
    const [cmd, pre] = npmCli ? [process.execPath, [npmCli]] : ['npm', []];
    await promisify(execFile)(cmd, [...pre, ...npmArgs, '--prefer-offline'], {
      cwd: dir,
      timeout: 200_000,
      env: { ...process.env, NODE_ENV: 'production', npm_config_update_notifier: 'false' },
    });

    assert.ok(existsSync(join(dir, 'node_modules/express')), 'production dependencies installed');
    for (const dev of ['typescript', 'node', 'ajv', 'yaml']) {
      assert.ok(!existsSync(join(dir, 'node_modules', dev)), `dev dependency ${dev} left out`);
    }

    const svc = await startBuilt('stringsvc', ['--listen=127.0.0.1:0'], imageEnv(), { root: dir });
    try {
      const res = await fetch(`${svc.url}/uppercase`, { method: 'POST', body: '{"s":"hello, world"}' });
      assert.equal(await res.text(), '{"v":"HELLO, WORLD"}\n');
      assert.equal((await fetch(`${svc.url}/readyz`)).status, 200);
    } finally {
      assert.equal(await svc.stop(), 0);
    }
  });
});

describe('the image under the chart\'s memory limit', { skip: skipOrThrow('memory cgroup', memoryCgroupSkipReason()) }, () => {
  // Scavenges are counted, not timed: a request's garbage is the same in every run, so how
  // often the young generation fills depends only on its size.
  test('its NODE_OPTIONS keep scavenges per request as rare as without a limit', { timeout: 120_000 }, async () => {
    const values = parse(readFileSync(join(repoRoot, 'charts/stringsvc/values.yaml'), 'utf8')) as {
      backend: { resources: { limits: { memory: string } } };
    };
    const limit = quantityBytes(values.backend.resources.limits.memory);
    const { NODE_OPTIONS: nodeOptions } = imageEnv();
    assert.ok(nodeOptions, 'the image sets NODE_OPTIONS');
    const cgroup = createMemoryCgroup('limit', limit);
    try {
      const unlimited = await minorGcsFor(20_000, { NODE_OPTIONS: '' }, []);
      const limitedBare = await minorGcsFor(20_000, { NODE_OPTIONS: '' }, cgroup.wrap);
      const limitedImage = await minorGcsFor(20_000, { NODE_OPTIONS: nodeOptions }, cgroup.wrap);
      // The limit bites without the options (else this test could not fail)…
      assert.ok(limitedBare >= 3 * unlimited, `without NODE_OPTIONS under ${limit} bytes: ${limitedBare} scavenges, unlimited ${unlimited}`);
      // …and the image's options undo it.
      assert.ok(limitedImage <= 1.5 * unlimited, `with ${nodeOptions} under ${limit} bytes: ${limitedImage} scavenges, unlimited ${unlimited}`);
    } finally {
      cgroup.close();
    }
  });
});

/** minorGcsFor serves `requests` uppercase calls on a fresh backend and returns its scavenge count from /metrics. */
async function minorGcsFor(requests: number, env: NodeJS.ProcessEnv, wrap: string[]): Promise<number> {
  const svc = await startBuilt('stringsvc', ['--listen=127.0.0.1:0'], env, { wrap });
  const pool = new Pool(svc.url, { connections: 10 });
  try {
    const before = await minorGcs(pool);
    let sent = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (sent++ < requests) {
          const res = await pool.request({ path: '/uppercase', method: 'POST', body: '{"s":"hello, world"}' });
          assert.equal(await res.body.text(), '{"v":"HELLO, WORLD"}\n');
        }
      }),
    );
    return (await minorGcs(pool)) - before;
  } finally {
    await pool.close();
    assert.equal(await svc.stop(), 0);
  }
}

async function minorGcs(pool: Pool): Promise<number> {
  const text = await (await pool.request({ path: '/metrics', method: 'GET' })).body.text();
  assert.match(text, /^# TYPE nodejs_gc_duration_seconds histogram$/m, 'GC metrics are in /metrics');
  // The series shows up with the first scavenge.
  return Number(/^nodejs_gc_duration_seconds_count\{kind="minor"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}
