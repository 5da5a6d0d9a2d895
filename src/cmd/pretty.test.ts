import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prettyLines } from './pretty.ts';

const line = '{"level":30,"time":1795490915059,"listen":":8001","request_id":"fbae","method":"uppercase","input":"foo","output":"FOO","err":null,"took":"408.015µs"}';

test('piped (not a terminal), or turned off: no formatter, the JSON lines stay as they are', async () => {
  assert.equal(await prettyLines({ isTTY: false }, {}), undefined);
  assert.equal(await prettyLines({}, {}), undefined);
  assert.equal(await prettyLines({ isTTY: true }, { STRINGSVC_PRETTY: '0' }), undefined);
});

test('on a terminal: one pretty line per JSON line, level and fields readable; other text untouched', async () => {
  const format = await prettyLines({ isTTY: true }, { NO_COLOR: '1' });
  assert.ok(format);
  const out = format(line);
  assert.ok(!out.includes('\n'), out);
  assert.match(out, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: /);
  assert.match(out, /"method":"uppercase"/);
  assert.match(out, /"output":"FOO"/);
  assert.match(out, /"err":null/);
  assert.equal(format('not json'), 'not json');
});
