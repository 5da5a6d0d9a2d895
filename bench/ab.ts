/**
 * `node bench/ab.ts <dist A> <dist B> [backend|frontend…]` compares two builds of ours in the same
 * run, paired round by round (see interleavedRounds): the backend's `/uppercase` with default
 * logging, and the frontend (request log off, limits opened wide as in frontend.ts) in front of
 * the same three backends of build B. It prints each build's median throughput and CPU per
 * request and the paired ratio B ÷ A; nothing is written to `bench/results/`.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { benchConfig } from './lib/config.ts';
import { startServer, type Server } from './lib/proc.ts';
import { cpuFigures, interleavedRounds, throughput } from './lib/rounds.ts';
import { round } from './lib/stats.ts';

const [distA, distB, ...wanted] = process.argv.slice(2);
if (!distA || !distB) throw new Error('usage: node bench/ab.ts <dist A> <dist B> [backend|frontend…]');
const config = benchConfig();
execFileSync('taskset', ['-a', '-p', '-c', config.loadCpus, String(process.pid)], { stdio: 'ignore' });
const cli = (dist: string) => `${resolve(dist)}/cmd/stringsvc.js`;
const node = process.execPath;

/** ab loads A and B in interleaved rounds and reports their medians and the paired ratio. */
async function ab(section: string, servers: { a: Server; b: Server }): Promise<void> {
  const at = (s: Server) => ({ url: `${s.url}/uppercase`, pid: s.proc.pid! });
  const { results, cpu } = await interleavedRounds(config, section, { a: at(servers.a), b: at(servers.b) }, { failOnErrors: true });
  const { rps, ratio } = throughput(results);
  console.log(JSON.stringify({
    section,
    rounds: config.rounds,
    a_rps: round(rps('a'), 0),
    b_rps: round(rps('b'), 0),
    b_vs_a_rps_ratio: round(ratio('b', 'a'), 3),
    per_round_b_vs_a: results.b!.map((r, i) => round(r.rps / results.a![i]!.rps, 3)),
    ...cpuFigures('a', cpu.a!),
    ...cpuFigures('b', cpu.b!),
  }));
}

for (const section of wanted.length ? wanted : ['backend', 'frontend']) {
  const started: Server[] = [];
  const start = async (argv: string[], cpus: string) => {
    const s = await startServer(argv, { cpus });
    started.push(s);
    return s;
  };
  try {
    if (section === 'backend') {
      const backend = (dist: string) => start([node, cli(dist), '--listen=127.0.0.1:0'], config.serverCpus);
      await ab(section, { a: await backend(distA), b: await backend(distB) });
    } else if (section === 'frontend') {
      const backends = await Promise.all([0, 1, 2].map(() => start([node, cli(distB), '--listen=127.0.0.1:0', '--request-log=false'], config.loadCpus)));
      const proxy = backends.map((b) => b.addr).join(',');
      const frontend = (dist: string) =>
        start([node, cli(dist), '--listen=127.0.0.1:0', `--proxy=${proxy}`, '--request-log=false', '--qps=1000000', '--burst=1000000', '--max-time=10s', '--attempt-timeout=5s'], config.serverCpus);
      await ab(section, { a: await frontend(distA), b: await frontend(distB) });
    } else {
      throw new Error(`unknown section "${section}"; have backend, frontend`);
    }
  } finally {
    await Promise.all(started.map((s) => s.stop()));
  }
}
