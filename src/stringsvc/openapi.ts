/**
 * openapi is the OpenAPI 3.1 description of the string service's wire contract, served at
 * `/openapi.json` for clients, docs and fuzzers. Kept next to the transport it describes.
 */
export const openapi = {
  openapi: '3.1.0',
  info: {
    title: 'stringsvc',
    version: '0.1.0',
    description:
      'The go-kit stringsvc tutorial service. Request bodies are JSON (`application/json`); the service is lenient and reads the body as JSON whatever the Content-Type says (`curl -d` sends a form type), but clients should send `application/json`. GET with a body is accepted as POST is (go-kit\'s proxying client sends GET). Business errors answer 200 with `err` set.',
  },
  paths: {
    '/uppercase': {
      post: op('uppercase', 'Upper-case a string (Unicode case mapping).', 'UppercaseResponse'),
      get: op('uppercaseGet', 'Same as POST, for go-kit clients that send GET with a JSON body.', 'UppercaseResponse'),
    },
    '/count': {
      post: op('count', 'Length of a string in UTF-8 bytes.', 'CountResponse'),
      get: op('countGet', 'Same as POST, for go-kit clients that send GET with a JSON body.', 'CountResponse'),
    },
    '/healthz': { get: plain('Liveness.') },
    '/readyz': { get: plain('Readiness: 503 while starting, syncing discovery or draining.') },
  },
  components: {
    schemas: {
      StringRequest: {
        type: 'object',
        required: ['s'],
        properties: { s: { type: 'string' } },
      },
      UppercaseResponse: {
        type: 'object',
        required: ['v'],
        properties: {
          v: { type: 'string' },
          err: { type: 'string', description: 'Business error, e.g. "empty string"; absent on success.' },
        },
      },
      CountResponse: {
        type: 'object',
        required: ['v'],
        properties: { v: { type: 'integer', minimum: 0 } },
      },
      Error: {
        type: 'object',
        required: ['err'],
        properties: { v: { type: 'string' }, err: { type: 'string' } },
      },
    },
  },
} as const;

function op(operationId: string, summary: string, response: string) {
  const error = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  return {
    operationId,
    summary,
    requestBody: {
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/StringRequest' } } },
    },
    responses: {
      '200': {
        description: 'Answered (check `err` for a business error).',
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${response}` } } },
      },
      '400': error('Malformed JSON, an empty or non-object body, or `s` missing or not a string.'),
      '413': error('Body over the size limit.'),
      '429': {
        ...error('This client is over its `--client-qps` limit, or every upstream instance was rate limited (frontend only).'),
        headers: {
          'Retry-After': { description: 'Seconds until a retry may be allowed.', schema: { type: 'integer', minimum: 1 } },
          'RateLimit-Policy': { description: 'The per-client quotas (draft-ietf-httpapi-ratelimit-headers); per-client refusals only.', schema: { type: 'string' } },
          RateLimit: { description: 'The quota left and seconds until it refills; per-client refusals only.', schema: { type: 'string' } },
        },
      },
      '502': error('Bad upstream response (frontend only).'),
      '503': error('No upstream instance available (frontend only).'),
      '504': error('Upstream deadline exceeded (frontend only).'),
    },
  };
}

function plain(summary: string) {
  return { summary, responses: { '200': { description: 'OK' }, '503': { description: 'Not ready' } } };
}
