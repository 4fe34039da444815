import type { AuthRule, RouteDef } from './context.ts';

const AUTH_TEXT: Record<AuthRule, string> = {
  public: 'none',
  any: 'any valid bearer token',
  'org-read': 'bearer token with any role on :org (or a platform token)',
  'org-write': 'bearer token with writer or admin on :org (or a platform writer/admin)',
  'platform-read': 'platform bearer token (org *)',
  'platform-write': 'platform bearer token (org *) with writer or admin',
  hmac: 'HMAC signature of the body (X-Hub-Signature-256 or X-Gitea-Signature)',
};

/** OpenAPI 3.1 document generated from the route table, so it cannot drift from what is served. */
export function openApiDocument(routes: readonly Pick<RouteDef, 'method' | 'path' | 'auth' | 'summary'>[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const secured = r.auth !== 'public' && r.auth !== 'hmac';
    (paths[path] ??= {})[r.method.toLowerCase()] = {
      summary: r.summary,
      'x-kradle-auth': r.auth,
      description: `Auth: ${AUTH_TEXT[r.auth]}.`,
      ...(params.length ? { parameters: params } : {}),
      ...(secured ? { security: [{ bearer: [] }] } : { security: [] }),
      responses: { default: { description: 'Errors use the envelope', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Kradle API', version: '0.1.0' },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'object', required: ['code', 'message', 'details'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'array', items: { type: 'object' } } } } },
        },
      },
    },
  };
}
