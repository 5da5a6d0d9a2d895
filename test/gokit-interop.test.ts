/**
 * Wire interop with go-kit's own stringsvc examples (built from the Go module proxy, see
 * test/gokit/binaries.ts): our frontend over go-kit backends, and go-kit's stringsvc3 frontend
 * over our backends, each compared byte for byte with go-kit talking to go-kit.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBuilt, type Running } from './support/process.ts';
import { metricValue, scrape } from './support/metrics.ts';
import { ensureGokit } from './gokit/binaries.ts';
import { startInNetns, startStringsvc3, type Peer } from './gokit/peers.ts';
import { gokitSkip } from './gokit/require.ts';
import { setupTimeout } from './tools.ts';

/** Inputs both implementations must answer identically: ASCII, non-ASCII and JSON escapes. */
const same = [
  'hello, world',
  'Hello World 123 !?',
  'héllo wörld',
  'ÀÉÎÕÜ çñ ÿ µ ı',
  'привет мир',
  'γειά σου κόσμε',
  '日本語テキスト',
  'emoji 🎉 ok',
  'tab\tquote"backslash\\ ctl\u0001',
];

/** The published code's ErrEmpty text; the tutorial prose says "Empty string", the code and we say this. */
const emptyBody = '{"v":"","err":"empty string"}\n';

/** post sends `{"s":s}` and returns the status and the raw body text. */
async function post(base: string, path: string, s: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify({ s }) });
  return { status: res.status, body: await res.text() };
}

describe('go-kit interop', { skip: gokitSkip(), timeout: 120_000 }, () => {
  let gk1: Peer | undefined;
  let gk2: Peer | undefined;
  let gk3OnOurs: Peer | undefined;
  let gk3OnGokit: Peer | undefined;
  let ours: Running[] = [];
  let ourFrontend: Running | undefined;

  // Everything started is stopped in after(), even when before() fails halfway.
  const started: Array<{ stop(): Promise<unknown> }> = [];
  const track = async <T extends { stop(): Promise<unknown> }>(p: Promise<T>): Promise<T> => {
    const x = await p;
    started.push(x);
    return x;
  };

  before(async () => {
    const bins = await ensureGokit();
    [gk1, gk2, ...ours] = await Promise.all([
      track(startInNetns(bins.stringsvc1)),
      track(startInNetns(bins.stringsvc2)),
      // Every access line, so the test can see how stringsvc3's calls arrived.
      track(startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--access-log=lean'])),
      track(startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--access-log=lean'])),
    ]);
    const gokitBackends = [gk1.addr, gk2.addr];
    const ourBackends = ours.map((o) => o.addr);
    const frontendFlags = ['--listen=127.0.0.1:0', `--proxy=${gokitBackends.join(',')}`, '--request-log=false', '--max-time=3s', '--attempt-timeout=1s'];
    [ourFrontend, gk3OnOurs, gk3OnGokit] = await Promise.all([
      track(startBuilt('stringsvc', frontendFlags)),
      track(startStringsvc3(bins.stringsvc3, ourBackends)),
      track(startStringsvc3(bins.stringsvc3, gokitBackends)),
    ]);
  }, { timeout: setupTimeout() });
  after(() => Promise.all(started.map((p) => p.stop())));

  test('go-kit backends answer as the published code says, ErrEmpty included', async () => {
    assert.deepEqual(await post(gk1!.url, '/uppercase', 'hello, world'), { status: 200, body: '{"v":"HELLO, WORLD"}\n' });
    assert.deepEqual(await post(gk2!.url, '/count', 'hello, world'), { status: 200, body: '{"v":12}\n' });
    assert.deepEqual(await post(gk1!.url, '/uppercase', ''), { status: 200, body: emptyBody });
  });

  test('our frontend over go-kit backends answers byte for byte like a go-kit backend', async () => {
    // Twice each, so the round robin sends every input to both stringsvc1 and stringsvc2.
    for (const s of [...same, ...same]) {
      const want = await post(gk1!.url, '/uppercase', s);
      assert.deepEqual(await post(ourFrontend!.url, '/uppercase', s), want, `uppercase ${JSON.stringify(s)}`);
      assert.deepEqual(await post(ourFrontend!.url, '/count', s), await post(gk2!.url, '/count', s), `count ${JSON.stringify(s)}`);
    }
    for (let i = 0; i < 2; i++) assert.deepEqual(await post(ourFrontend!.url, '/uppercase', ''), { status: 200, body: emptyBody });
    const served = gk1!.stderr() + gk2!.stderr();
    assert.match(served, /method=uppercase input= output= err="empty string"/, 'stringsvc2 logged the proxied ErrEmpty');
  });

  test('go-kit stringsvc3 over our backends answers like stringsvc3 over go-kit backends', async () => {
    for (const s of [...same, '']) {
      for (let i = 0; i < 2; i++) {
        const want = await post(gk3OnGokit!.url, '/uppercase', s);
        assert.equal(want.status, 200);
        assert.deepEqual(await post(gk3OnOurs!.url, '/uppercase', s), want, `uppercase ${JSON.stringify(s)}`);
      }
    }
    assert.deepEqual(await post(gk3OnOurs!.url, '/uppercase', ''), { status: 200, body: emptyBody });
    // Both our backends served stringsvc3's calls, which arrive as GET with a JSON body.
    for (const o of ours) {
      const text = await scrape(o.url);
      const calls = metricValue(text, 'my_group_string_service_request_count', { method: 'uppercase', error: 'false' });
      assert.ok(calls >= same.length, `backend ${o.addr} served ${calls} uppercase calls`);
      assert.ok(await o.lastLine((l) => l.method === 'GET' && l.url === '/uppercase' && l.status === 200), 'GET with a body accepted');
    }
  });

  test('special casing, HTML-safe escapes and lone surrogates match go-kit byte for byte', async () => {
    // Go maps rune by rune (simple case mapping), escapes <, >, & and U+2028/2029, and decodes
    // a lone surrogate to U+FFFD; our backend does the same.
    for (const s of ['straße ﬁ ŉ ᾳ', '<a&b>\u2028\u2029', '\ud800x', 'ǆ ǳ ﬀ']) {
      assert.deepEqual(await post(ours[0]!.url, '/uppercase', s), await post(gk1!.url, '/uppercase', s), `uppercase ${JSON.stringify(s)}`);
      assert.deepEqual(await post(ours[0]!.url, '/count', s), await post(gk2!.url, '/count', s), `count ${JSON.stringify(s)}`);
    }
  });

  test('remaining differences from go-kit, pinned so a change on either side is noticed', async () => {
    // Characters first cased in Unicode 16 (Node's tables); Go 1.26's unicode package predates them.
    assert.equal((await post(gk1!.url, '/uppercase', '\u019b')).body, '{"v":"\u019b"}\n');
    assert.equal((await post(ours[0]!.url, '/uppercase', '\u019b')).body, '{"v":"\ua7dc"}\n');
    // go-kit never sets a Content-Type, so Go sniffs text/plain.
    const contentType = async (base: string) => (await fetch(`${base}/count`, { method: 'POST', body: '{"s":"x"}' })).headers.get('content-type');
    const types = [await contentType(gk1!.url), await contentType(ours[0]!.url)];
    assert.deepEqual(types, ['text/plain; charset=utf-8', 'application/json; charset=utf-8']);
  });
});
