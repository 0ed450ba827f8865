/** GET /openapi.json — generated from the same schemas that validate requests (schemas.ts). */
import type { Limits } from './limits.js';
import { entitySchema, errorSchema, tagRequestSchema } from './schemas.js';

export function openApiDocument(limits: Limits) {
  const error = (description: string) => ({ description, content: { 'application/json': { schema: errorSchema } } });
  return {
    openapi: '3.0.3',
    info: {
      title: 'cner — Chinese clinical named-entity recognition',
      version: '1',
      description:
        `Tags Chinese clinical text with a BiLSTM-CRF. Offsets are into the text as sent, end exclusive. ` +
        `Limits: body ≤ ${limits.maxBodyBytes} bytes, ≤ ${limits.maxDocuments} documents, ≤ ${limits.maxCharsPerDocument} characters a document, ` +
        `budget: characters × max(1, kbest) ≤ ${limits.maxRequestCost} a request, answer ≤ ${limits.maxResponseBytes} bytes. ` +
        `Models are named by a short id (the first 12 hex digits of their SHA-256) and their training date.`,
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths: {
      '/v1/tag': {
        post: {
          summary: 'Tag one text or several documents',
          requestBody: { required: true, content: { 'application/json': { schema: tagRequestSchema } } },
          responses: {
            '200': {
              description: 'Entities per document',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      model: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' }, id: { type: 'string' }, sha256: { type: 'string' } } },
                      entities: { type: 'array', items: entitySchema },
                      documents: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, entities: { type: 'array', items: entitySchema } } } },
                    },
                  },
                },
              },
            },
            '400': error('Malformed JSON or a request that does not match the schema'),
            '401': error('Missing or wrong bearer token'),
            '413': error('A limit was exceeded: body size, documents, characters per document, the budget (budget_exceeded) or the answer size (response_too_large)'),
            '415': error('Content type is not application/json'),
            '503': error('No model could be loaded, or the server is busy (overloaded, with a Retry-After header)'),
            '504': error('The request waited past its deadline_ms and was not tagged (deadline_exceeded)'),
          },
        },
      },
      '/v1/model': { get: { summary: 'The model in use', responses: { '200': { description: 'name, version, id, sha256, trained, labels, metrics, source, release' } } } },
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': { description: 'ok' }, '503': { description: 'no model' } } } },
    },
  };
}
