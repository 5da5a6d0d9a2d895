import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { hang, startLoopback } from './support/loopback.ts';
import { MissingSeriesError, metricValue, scrape } from './support/metrics.ts';
import { startBuilt, type Running } from './support/process.ts';
import { post, relaxed, stopAll } from './support/frontend.ts';
import { onceWithin } from './support/wait.ts';

// The shared server flags (src/kit/server-flags.ts) as a user sets them, each seen doing its job
// in a real process.

/** finished stops a process and returns every line it wrote: read on 'close', none can be missing. */
async function finished(p: Running): Promise<Array<Record<string, unknown>>> {
  assert.equal(await p.stop('SIGTERM'), 0);
  return p.lines();
}

/** requestLines are the lines that belong to a request: the service line and the access line. */
const requestLines = (lines: Array<Record<string, unknown>>) => lines.filter((l) => l.request_id !== undefined);

/** A raw TCP connection to `svc`, gathering everything it answers into `got.text`. */
async function rawConnection(svc: Running) {
  const [host, port] = svc.addr.split(':');
  const sock = connect(Number(port), host);
  await onceWithin(sock, 'connect', 10_000, `a connection to ${svc.addr}`);
  const got = { text: '' };
  sock.on('data', (d: Buffer) => (got.text += d.toString()));
  return { sock, got };
}

test('--request-log=false writes no request line, even for errors; true writes them', async (t) => {
  const run = async (flag: string) => {
    const svc = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', flag]);
    t.after(() => stopAll([svc]));
    assert.equal((await post(`${svc.url}/uppercase`, '{"s":"quiet"}')).status, 200);
    assert.equal((await post(`${svc.url}/uppercase`, '{"s":""}')).status, 200); // a business error
    assert.equal((await post(`${svc.url}/count`, '{"s":')).status, 400); // an access line by default
    const lines = await finished(svc);
    // The positive sign every line written after the requests has been read.
    assert.ok(lines.some((l) => l.msg === 'stopped'));
    return requestLines(lines);
  };
  assert.deepEqual(await run('--request-log=false'), []);
  const logged = await run('--request-log=true');
  assert.ok(logged.some((l) => l.method === 'uppercase' && l.input === 'quiet'), 'the service line');
  assert.ok(logged.some((l) => l.url === '/count' && l.status === 400), 'the access line of the 400');
});

test('--log-level=warn: only warn lines and above, the warn line of a failed upstream call included', async (t) => {
  const broken = await startLoopback((_r, res) => res.writeHead(500).end('{"v":"x"}'));
  t.after(() => broken.close());
  const fe = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--log-level=warn', `--proxy=${broken.instance}`, '--max-attempts=1', ...relaxed], {}, { quiet: true });
  t.after(() => stopAll([fe]));
  const r = await fetch(`${fe.url}/uppercase`, { method: 'POST', body: '{"s":"x"}', headers: { 'x-request-id': 'lvl-1' } });
  assert.equal(r.status, 502);
  const lines = await finished(fe);
  const warned = lines.find((l) => l.msg === 'upstream failure');
  assert.equal(warned?.level, 40, JSON.stringify(lines));
  assert.equal(warned.request_id, 'lvl-1');
  const below = lines.filter((l) => typeof l.level !== 'number' || l.level < 40);
  assert.deepEqual(below, [], 'no info or debug line (not even the HTTP or stopped lines)');
});

test('--handler-timeout bounds a proxied call that max-time and attempt-timeout would let run', async (t) => {
  const hung = await startLoopback(hang);
  t.after(() => hung.close());
  const fe = await startBuilt('stringsvc', [
    '--listen=127.0.0.1:0',
    '--handler-timeout=500ms',
    `--proxy=${hung.instance}`,
    '--max-time=60s',
    '--attempt-timeout=60s',
  ]);
  t.after(() => stopAll([fe]));
  // Bounded far below the 60 s the proxy flags allow: an ignored flag fails here.
  const res = await fetch(`${fe.url}/uppercase`, { method: 'POST', body: '{"s":"slow"}', signal: AbortSignal.timeout(15_000) });
  assert.deepEqual([res.status, await res.text()], [504, '{"v":"","err":"upstream deadline exceeded"}\n']);
  assert.equal(hung.received.length, 1, 'the attempt reached the backend before the handler deadline cut it');
});

test('--keep-alive-timeout closes an idle connection, and is announced in the Keep-Alive header', async (t) => {
  const short = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--keep-alive-timeout=1s']);
  const long = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--keep-alive-timeout=60s']);
  t.after(() => stopAll([short, long]));
  const open = async (svc: Running) => {
    const { sock, got } = await rawConnection(svc);
    const ask = async () => {
      got.text = '';
      sock.write('POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{"s":"k"}');
      for (const deadline = Date.now() + 10_000; !got.text.endsWith('{"v":1}\n'); ) {
        if (Date.now() > deadline) throw new Error(`no answer: ${got.text}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return got.text;
    };
    return { sock, ask };
  };
  // The witness connects first: the same timeout would close it no later than the other.
  const witness = await open(long);
  const idle = await open(short);
  assert.match(await witness.ask(), /\r\nkeep-alive: timeout=60\r\n/i);
  assert.match(await idle.ask(), /\r\nkeep-alive: timeout=1\r\n/i);
  await onceWithin(idle.sock, 'close', 4000, 'the 1 s keep-alive timeout to close the idle connection (Node\'s default is 5 s)');
  assert.equal(witness.sock.readyState, 'open', 'the 60 s connection is still open');
  assert.match(await witness.ask(), /^HTTP\/1\.1 200 /, 'and still serves');
  witness.sock.destroy();
});

test('--metrics-prefix renames the service metrics and leaves no series under the default name', async (t) => {
  const svc = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--metrics-prefix=acme_strings_', '--request-log=false']);
  t.after(() => stopAll([svc]));
  assert.equal((await post(`${svc.url}/uppercase`, '{"s":"p"}')).status, 200);
  const text = await scrape(svc.url);
  assert.equal(metricValue(text, 'acme_strings_request_count', { method: 'uppercase', error: 'false' }), 1);
  assert.ok(metricValue(text, 'acme_strings_request_latency_seconds_count', { method: 'uppercase', error: 'false' }) >= 1);
  assert.throws(() => metricValue(text, 'my_group_string_service_request_count', {}, { absentAs: 0 }), MissingSeriesError);
  assert.doesNotMatch(text, /^my_group_string_service_/m);
});

test('--request-timeout cuts a request whose body still trickles in: 408, then the server closes', async (t) => {
  const short = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--request-timeout=1s']);
  // The witness gets the very same client, byte for byte: only the flag differs.
  const long = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--request-timeout=60s']);
  t.after(() => stopAll([short, long]));
  const length = 100_000; // never reached by the trickle: only the timeout can end the request
  const open = async (svc: Running) => {
    const { sock, got } = await rawConnection(svc);
    sock.write(`POST /uppercase HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n\r\n{"s":"`);
    return { sock, answer: () => got.text, closed: onceWithin(sock, 'close', 120_000, `${svc.addr} to close the trickled connection`) };
  };
  const cut = await open(short);
  const witness = await open(long);
  let sent = 6;
  // The connection is never idle: a byte every 50 ms, so no idle or headers timeout is at play.
  const trickle = setInterval(() => {
    if (cut.sock.writable) cut.sock.write('a');
    witness.sock.write('a');
    sent++;
  }, 50);
  t.after(() => clearInterval(trickle));
  // Bounded well below the 30 s default, so an ignored flag fails here rather than passing late.
  await Promise.race([cut.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('not cut')), 20_000).unref())]);
  clearInterval(trickle);
  assert.equal(cut.answer(), 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
  assert.ok(sent > 6, 'body bytes were still arriving when it was cut');
  assert.equal(witness.answer(), '', 'the 60 s server has not answered the same client');
  assert.equal(witness.sock.readyState, 'open', 'nor closed its connection');
  witness.sock.end('a'.repeat(length - sent - 2) + '"}'); // the server closes once it has answered
  await witness.closed;
  assert.match(witness.answer(), /^HTTP\/1\.1 200 /);
  assert.ok(witness.answer().endsWith(`{"v":"${'A'.repeat(length - 8)}"}\n`), 'the whole body was read');
  const lines = await finished(short);
  const aborted = lines.find((l) => l.msg === 'request aborted');
  assert.equal(aborted?.url, '/uppercase', 'the cut request is logged as aborted');
});
