import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerRequest } from '../kit/transport/http/handler.ts';
import { isHttpError } from '../kit/transport/http/errors.ts';
import { decodeAddRequest } from './transport.ts';

const req = (body: string) => ({ body: Buffer.from(body) }) as unknown as ServerRequest;

test('decodes {"v": <safe integer>}, negatives and 1.0 included', () => {
  assert.deepEqual(decodeAddRequest(req('{"v":1}')), { v: 1 });
  assert.deepEqual(decodeAddRequest(req('{"v":-7}')), { v: -7 });
  assert.deepEqual(decodeAddRequest(req('{"v":1.0}')), { v: 1 });
  assert.deepEqual(decodeAddRequest(req(`{"v":${Number.MAX_SAFE_INTEGER}}`)), { v: Number.MAX_SAFE_INTEGER });
});

const bad: Array<[string, RegExp]> = [
  ['{"v":1.5}', /must be an integer/],
  ['{"v":"1"}', /must be an integer/],
  ['{"v":null}', /must be an integer/],
  ['{"v":true}', /must be an integer/],
  ['{}', /missing field "v"/],
  ['{"v":9007199254740993}', /must be a safe integer/],
  ['{"v":1e300}', /must be a safe integer/],
  ['{"v":', /malformed JSON/],
  ['[1]', /must be a JSON object/],
  ['', /empty/],
];
for (const [body, message] of bad) {
  test(`refuses ${JSON.stringify(body)} with 400`, () => {
    assert.throws(() => decodeAddRequest(req(body)), (e) => isHttpError(e) && e.status === 400 && message.test(e.message));
  });
}
