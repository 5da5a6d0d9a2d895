/**
 * openapi is the OpenAPI 3.1 description of the counter service's wire contract, served at
 * `/openapi.json` for clients, docs and fuzzers. Kept next to the transport it describes.
 */
export const openapi = {
  openapi: '3.1.0',
  info: {
    title: 'countersvc',
    version: '0.1.0',
    description:
      'The go-kit counter article\'s service: POST /add adds `v` to a running total and answers the total. Request bodies are JSON (`application/json`); the service is lenient and reads the body as JSON whatever the Content-Type says (`curl -d` sends a form type), but clients should send `application/json`. Adds are rate limited per process (429).',
  },
  paths: {
    '/add': {
      post: {
        operationId: 'add',
        summary: 'Add v to the total; answers the new total.',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/AddRequest' } } },
        },
        responses: {
          '200': {
            description: 'Added: the total after this add.',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/AddResponse' } } },
          },
          '400': error('Malformed JSON, an empty or non-object body, or `v` missing or not a safe integer.'),
          '409': error('A valid add that would take the current total out of the safe-integer range (total unchanged).'),
          '413': error('Body over the size limit.'),
          '429': error('Over the rate limit ("rate limit exceeded").'),
          '503': error('The store did not acknowledge the add (Kubernetes store only).'),
        },
      },
    },
    '/debug/vars': {
      get: {
        summary: "Go expvar-style variables: cmdline, memory, request count.",
        responses: { '200': { description: 'A JSON object, one key per line.', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/healthz': { get: plain('Liveness.') },
    '/readyz': { get: plain('Readiness: 503 while starting or draining.') },
  },
  components: {
    schemas: {
      AddRequest: {
        type: 'object',
        required: ['v'],
        properties: { v: { type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER } },
      },
      AddResponse: {
        type: 'object',
        required: ['v'],
        properties: { v: { type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER } },
      },
      Error: {
        type: 'object',
        required: ['err'],
        properties: { err: { type: 'string' } },
      },
    },
  },
} as const;

function error(description: string) {
  return { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
}

function plain(summary: string) {
  return { summary, responses: { '200': { description: 'OK' }, '503': { description: 'Not ready' } } };
}
