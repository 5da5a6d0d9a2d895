// The OpenAPI documents tell the truth: each service's /openapi.json declares its request bodies
// as application/json, and a seeded, bounded fuzz of every operation (bodies the document allows
// and bodies it does not) only ever gets answers the document declares, in the shape it declares.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { request } from 'undici';
import { startBuilt, type Running } from './support/process.ts';

type Schema = Record<string, any>;
interface Operation { requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> }; responses: Record<string, { content?: Record<string, { schema: Schema }> }> }
interface Document { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } }

/** A small seeded PRNG (mulberry32), so every run sends the same bodies. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const strings = ['', 'a', 'hello, world', 'héllo', 'ß ﬁ ŉ ᾳ', '\u{1F600}', '<>&\u2028', 'x'.repeat(300), '\ud800', '"quoted"', ' '];
const oddValues: unknown[] = [null, true, false, 0, -1, 1.5, 1e308, -9007199254740992, 9007199254740991, '1', [], {}, ['x']];

/** fromSchema draws a value the schema allows (the small subset these documents use). */
function fromSchema(schema: Schema, doc: Document, r: () => number): unknown {
  if (schema.$ref) return fromSchema(doc.components.schemas[String(schema.$ref).split('/').pop()!]!, doc, r);
  switch (schema.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(schema.properties ?? {})) if (schema.required?.includes(k) || r() < 0.5) out[k] = fromSchema(s as Schema, doc, r);
      if (r() < 0.2) out['extra'] = 'ignored';
      return out;
    }
    case 'string':
      return strings[Math.floor(r() * strings.length)];
    case 'integer': {
      const lo = schema.minimum ?? -1e6;
      const hi = schema.maximum ?? 1e6;
      const picks = [0, 1, -1, lo, hi, Math.floor(r() * 1000)];
      return picks[Math.floor(r() * picks.length)];
    }
    default:
      return null;
  }
}

/** A body the document allows, or (about half the time) one it does not: the service must still answer as declared. */
function body(schema: Schema, doc: Document, r: () => number): string {
  const x = r();
  if (x < 0.5) return JSON.stringify(fromSchema(schema, doc, r));
  if (x < 0.7) return JSON.stringify(oddValues[Math.floor(r() * oddValues.length)]);
  if (x < 0.85) return JSON.stringify({ s: oddValues[Math.floor(r() * oddValues.length)], v: oddValues[Math.floor(r() * oddValues.length)] });
  const raw = ['', '{', '{"s":', 'not json', '{"v":1,}', '\u0000'];
  return raw[Math.floor(r() * raw.length)]!;
}

const EXAMPLES = 150;

async function fuzz(url: string, seed: number): Promise<{ calls: number; failures: string[] }> {
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as Document;
  const ajv = new Ajv2020({ strict: false });
  ajv.addSchema({ $id: 'doc', components: doc.components });
  const r = rng(seed);
  const failures: string[] = [];
  let calls = 0;
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const declaredBody = op.requestBody?.content['application/json'];
      for (let i = 0; i < (declaredBody ? EXAMPLES : 3); i++) {
        const sent = declaredBody ? body(declaredBody.schema, doc, r) : undefined;
        // undici's request, not fetch: go-kit's clients send GET with a body, which fetch refuses.
        const res = await request(`${url}${path}`, {
          method: method.toUpperCase() as 'GET' | 'POST',
          ...(sent !== undefined ? { body: sent, headers: { 'content-type': 'application/json' } } : {}),
        });
        const text = await res.body.text();
        calls++;
        const declared = op.responses[String(res.statusCode)];
        const where = `${method.toUpperCase()} ${path} ${JSON.stringify(sent)} → ${res.statusCode} ${text.slice(0, 200)}`;
        if (!declared) {
          failures.push(`undeclared status: ${where}`);
          continue;
        }
        const schema = declared.content?.['application/json']?.schema;
        if (!schema) continue;
        if (!/^application\/json\b/.test(String(res.headers['content-type'] ?? ''))) failures.push(`not application/json: ${where}`);
        const validate = ajv.compile(schema.$ref ? { $ref: `doc${schema.$ref}` } : schema);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          failures.push(`not JSON: ${where}`);
          continue;
        }
        if (!validate(parsed)) failures.push(`does not match the declared schema (${ajv.errorsText(validate.errors)}): ${where}`);
      }
    }
  }
  return { calls, failures };
}

/** Every request body of the document is declared as application/json, and only that. */
function requestTypes(doc: Document): string[] {
  return Object.values(doc.paths).flatMap((ops) => Object.values(ops).flatMap((op) => Object.keys(op.requestBody?.content ?? {})));
}

describe('OpenAPI documents, contract-fuzzed (seeded, bounded)', () => {
  const svcs: Record<string, Running> = {};
  before(async () => {
    svcs['stringsvc'] = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--body-limit=1kb']);
    svcs['countersvc'] = await startBuilt('countersvc', ['--listen=127.0.0.1:0', '--rate=1000000', '--burst=1000000', '--body-limit=1kb']);
  });
  after(async () => {
    await Promise.all(Object.values(svcs).map((s) => s.stop()));
  });

  for (const name of ['stringsvc', 'countersvc']) {
    test(`${name}: /openapi.json declares application/json request bodies`, async () => {
      const doc = (await (await fetch(`${svcs[name]!.url}/openapi.json`)).json()) as Document;
      assert.equal(doc.openapi, '3.1.0');
      const types = requestTypes(doc);
      assert.ok(types.length > 0);
      assert.deepEqual([...new Set(types)], ['application/json']);
    });

    test(`${name}: every answer to ${EXAMPLES} bodies per operation is one the document declares`, async () => {
      const { calls, failures } = await fuzz(svcs[name]!.url, 20);
      assert.ok(calls >= EXAMPLES);
      assert.deepEqual(failures.slice(0, 10), []);
    });
  }

  test('the lenient Content-Type handling stays: a form-typed JSON body is still read as JSON', async () => {
    const res = await fetch(`${svcs['stringsvc']!.url}/uppercase`, { method: 'POST', body: '{"s":"foo"}', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(await res.text(), '{"v":"FOO"}\n');
  });
});
