import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { eventually } from './support/metrics.ts';
import { rawExchange } from './support/raw-http.ts';
import { runBuilt, startBuilt, type Running } from './support/process.ts';
import { onceWithin } from './support/wait.ts';

/** send posts a body the way the seed's `curl -d` does (form content type) and returns status + raw text. */
async function send(url: string, body: string, method = 'POST', contentType = 'application/x-www-form-urlencoded') {
  const res = await fetch(url, { method, body, headers: { 'content-type': contentType } });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** rawRequest writes raw HTTP bytes (fetch cannot send GET with a body) and reads the full answer. */
function rawRequest(addr: string, bytes: string): Promise<string> {
  const colon = addr.lastIndexOf(':');
  return rawExchange(addr.slice(0, colon), Number(addr.slice(colon + 1)), bytes);
}

describe('stringsvc backend process', () => {
  let svc: Running;
  before(async () => {
    svc = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--body-limit=1kb']);
  });
  after(() => svc.stop());

  test("the seed's curl commands answer byte for byte", async () => {
    assert.deepEqual(await send(`${svc.url}/uppercase`, '{"s":"hello, world"}').then((r) => [r.status, r.text]), [
      200,
      '{"v":"HELLO, WORLD"}\n',
    ]);
    assert.deepEqual(await send(`${svc.url}/count`, '{"s":"hello, world"}').then((r) => [r.status, r.text]), [200, '{"v":12}\n']);
    for (const s of ['foo', 'bar', 'baz']) {
      assert.equal((await send(`${svc.url}/uppercase`, `{"s":"${s}"}`)).text, `{"v":"${s.toUpperCase()}"}\n`);
    }
  });

  test('count is UTF-8 bytes and uppercase is Unicode-aware', async () => {
    assert.equal((await send(`${svc.url}/count`, '{"s":"héllo"}')).text, '{"v":6}\n');
    assert.equal((await send(`${svc.url}/uppercase`, '{"s":"straße ǆ"}')).text, '{"v":"STRAßE Ǆ"}\n');
  });

  test('empty string is a business error answered 200, the go-kit way', async () => {
    assert.deepEqual(await send(`${svc.url}/uppercase`, '{"s":""}').then((r) => [r.status, r.text]), [
      200,
      '{"v":"","err":"empty string"}\n',
    ]);
  });

  test('GET with a JSON body works, as go-kit proxies send it', async () => {
    const body = '{"s":"hello"}';
    const answer = await rawRequest(
      svc.addr,
      `GET /uppercase HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.ok(answer.endsWith('\r\n\r\n{"v":"HELLO"}\n'), answer);
  });

  test('any Content-Type is accepted', async () => {
    for (const ct of ['application/json', 'text/plain', 'application/octet-stream']) {
      assert.equal((await send(`${svc.url}/count`, '{"s":"abc"}', 'POST', ct)).text, '{"v":3}\n');
    }
  });

  const bad: Array<[string, string, string, number, RegExp]> = [
    ['malformed JSON', '/uppercase', '{"s":', 400, /malformed JSON/],
    ['empty body', '/count', '', 400, /empty/],
    ['missing s', '/uppercase', '{"t":"x"}', 400, /missing field "s"/],
    ['non-string s', '/count', '{"s":42}', 400, /field "s" must be a string/],
    ['not an object', '/count', '["s"]', 400, /must be a JSON object/],
    ['body over the limit', '/count', `{"s":"${'a'.repeat(2000)}"}`, 413, /exceeds the 1024-byte limit/],
  ];
  for (const [name, path, body, status, err] of bad) {
    test(`bad input: ${name} → ${status} with a JSON err`, async () => {
      const r = await send(`${svc.url}${path}`, body);
      assert.equal(r.status, status);
      assert.match(r.headers.get('content-type') ?? '', /application\/json/);
      const parsed = JSON.parse(r.text) as { err: string };
      assert.match(parsed.err, err);
    });
  }

  test('unknown path → 404, wrong method → 405 with Allow', async () => {
    const nf = await send(`${svc.url}/lowercase`, '{"s":"x"}');
    assert.equal(nf.status, 404);
    assert.match(nf.text, /"err":"no route for POST \/lowercase"/);
    const na = await send(`${svc.url}/uppercase`, '{"s":"x"}', 'DELETE');
    assert.equal(na.status, 405);
    assert.equal(na.headers.get('allow'), 'POST, GET, HEAD');
    assert.match(na.text, /"err":"method DELETE not allowed/);
  });

  test('the service is still healthy after all the bad input', async () => {
    assert.equal((await send(`${svc.url}/count`, '{"s":"ok"}')).text, '{"v":2}\n');
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
  });

  test('X-Request-Id is honoured, echoed and logged by the service middleware', async () => {
    const res = await fetch(`${svc.url}/uppercase`, { method: 'POST', body: '{"s":"trace me"}', headers: { 'x-request-id': 'req-42' } });
    assert.equal(res.headers.get('x-request-id'), 'req-42');
    await res.text();
    const line = await svc.lastLine((l) => l.request_id === 'req-42' && l.method === 'uppercase');
    assert.ok(line, 'a service log line carries the request id');
    assert.equal(line.input, 'trace me');
    assert.equal(line.output, 'TRACE ME');
    assert.equal(line.err, null);
    assert.match(String(line.took), /^[\d.]+(µs|ms|s)$/);
    const generated = (await fetch(`${svc.url}/count`, { method: 'POST', body: '{"s":""}' })).headers.get('x-request-id');
    assert.match(generated ?? '', /^[0-9a-f]{32}$/);
    const doc = await fetch(`${svc.url}/openapi.json`, { headers: { 'x-request-id': 'doc-1' } });
    await doc.arrayBuffer();
    assert.equal(doc.headers.get('x-request-id'), 'doc-1');
  });

  test('/metrics exposes the stringsvc2 metrics in Prometheus text format', async () => {
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    assert.match(text, /^my_group_string_service_request_count\{method="uppercase",error="true"\} [1-9]/m);
    assert.match(text, /^my_group_string_service_request_latency_seconds_bucket\{le="0.001",method="count",error="false"\} \d+/m);
    assert.match(text, /^my_group_string_service_count_result_sum \d+/m);
    assert.match(text, /^process_resident_memory_bytes \d+/m);
  });

  test('/openapi.json is an OpenAPI 3.1 document of the API', async () => {
    const doc = (await (await fetch(`${svc.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/uppercase'] && doc.paths['/count']);
  });
});

describe('stringsvc process lifecycle', () => {
  test('SIGTERM: answers on kept-alive connections say Connection: close before idle ones are closed', async () => {
    const svc = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--shutdown-delay=0s', '--grace=5s']);
    const [host, port] = [svc.addr.split(':')[0]!, Number(svc.addr.split(':')[1])];
    const sock = connect(port, host);
    await onceWithin(sock, 'connect', 10_000, 'a connection to stringsvc');
    let answer = '';
    sock.on('data', (d: Buffer) => (answer += d.toString()));
    const body = '{"s":"again"}';
    const request = `POST /uppercase HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    sock.write(request);
    await eventually('the answer on the kept-alive connection', () => answer.includes('{"v":"AGAIN"}'), 10_000);
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.doesNotMatch(answer, /connection: close/i, 'kept alive before the drain');
    answer = '';
    const exit = svc.stop('SIGTERM');
    // Readiness turns false first; the connection is idle and still open.
    await eventually('/readyz 503', async () => (await fetch(`${svc.url}/readyz`)).status === 503, 10_000);
    sock.write(request);
    const closed = onceWithin(sock, 'close', 30_000, 'the server to close the connection after its Connection: close answer');
    await eventually('the answer during the drain', () => answer.includes('{"v":"AGAIN"}'), 10_000);
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.match(answer, /\r\nconnection: close\r\n/i, 'the answer tells the client to leave');
    await closed;
    assert.equal(await exit, 0);
  });

  test('SIGTERM: readiness turns false, the in-flight request finishes, exit 0', async () => {
    const svc = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--shutdown-delay=1s', '--grace=5s']);
    const [host, port] = [svc.addr.split(':')[0]!, Number(svc.addr.split(':')[1])];
    const sock = connect(port, host);
    await onceWithin(sock, 'connect', 10_000, 'a connection to stringsvc');
    const body = '{"s":"in flight"}';
    sock.write(`POST /uppercase HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
    let answer = '';
    sock.on('data', (d: Buffer) => (answer += d.toString()));
    const exit = svc.stop('SIGTERM');
    // Readiness turns false at the signal; new connections are still accepted until the delay and
    // the notice are over, so polling cannot miss it.
    await eventually('/readyz 503', async () => (await fetch(`${svc.url}/readyz`)).status === 503, 10_000);
    // The positive sign the delay is over: the drain has begun while the request is still in flight.
    assert.ok(await svc.lastLine((l) => l.msg === 'draining', undefined, 10_000), 'the drain began');
    sock.write(body.slice(5));
    assert.equal(await exit, 0);
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.ok(answer.includes('{"v":"IN FLIGHT"}'), answer);
  });

  test('a client that never finishes its headers is cut off by the headers timeout, not the request timeout', async (t) => {
    const svc = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--headers-timeout=300ms', '--request-timeout=60s']);
    const sockets: Socket[] = [];
    t.after(async () => {
      for (const s of sockets) s.destroy();
      await svc.stop();
    });
    const port = Number(svc.addr.split(':')[1]);
    // The witness: headers complete, body held back. It connects first, so a request timeout
    // would reach it no later than the slow-headers client.
    const witness = connect(port, '127.0.0.1');
    sockets.push(witness);
    await onceWithin(witness, 'connect', 10_000, 'the witness connection');
    const body = '{"s":"late"}';
    witness.write(`POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    let witnessAnswer = '';
    witness.on('data', (d: Buffer) => (witnessAnswer += d.toString()));
    const witnessClosed = onceWithin(witness, 'close', 60_000, 'the witness to be answered and closed');
    const slow = connect(port, '127.0.0.1');
    sockets.push(slow);
    await onceWithin(slow, 'connect', 10_000, 'the slow-headers connection');
    slow.write('POST /count HTTP/1.1\r\nHost: x\r\n');
    let answer = '';
    slow.on('data', (d: Buffer) => (answer += d.toString()));
    // Bounded well below the 10 s default, so an ignored flag fails here rather than passing late.
    await onceWithin(slow, 'close', 5000, 'the 300 ms headers timeout to cut the slow client (the default is 10 s)');
    assert.match(answer, /^HTTP\/1\.1 408 /, 'Node answers 408 when the headers timeout fires');
    assert.equal(witnessAnswer, '', 'the request timeout has not fired: the witness got no answer yet');
    assert.equal(witness.readyState, 'open', 'and is still connected');
    witness.end(body);
    await witnessClosed;
    assert.match(witnessAnswer, /^HTTP\/1\.1 200 /);
    assert.ok(witnessAnswer.endsWith('{"v":4}\n'), witnessAnswer);
  });

  test('--help exits 0; an unknown or malformed flag exits 2 with a clear message', async () => {
    const help = await runBuilt('stringsvc', ['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--listen=… *\n.*HTTP listen address/);
    const unknown = await runBuilt('stringsvc', ['--bogus=1']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option '--bogus'/);
    const malformed = await runBuilt('stringsvc', ['--listen=nowhere']);
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /--listen: "nowhere" is not an address/);
  });

  test('when the log reader goes away, the server keeps serving and still stops on SIGTERM', async () => {
    const svc = await startBuilt('stringsvc', ['--listen=127.0.0.1:0']);
    svc.proc.stdout!.destroy(); // stdout now fails with EPIPE, as when a log collector dies
    for (let i = 0; i < 5; i++) assert.equal((await send(`${svc.url}/uppercase`, '{"s":"x"}')).status, 200);
    // Past a flush tick (100 ms), so the logger has met the broken pipe; longer only helps.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await send(`${svc.url}/count`, '{"s":"xy"}')).text, '{"v":2}\n');
    // A process that hung on the pipe would be SIGKILLed after 5 s and exit with no code.
    assert.equal(await svc.stop('SIGTERM', 5000), 0);
  });

  test("Go-style single-dash flags work as the seed types them", async () => {
    const svc = await startBuilt('stringsvc', ['-listen=127.0.0.1:0']);
    assert.equal((await send(`${svc.url}/count`, '{"s":"go"}')).text, '{"v":2}\n');
    assert.equal(await svc.stop(), 0);
  });
});
