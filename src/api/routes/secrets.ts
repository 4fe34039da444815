import { NotFoundError, ValidationError, WaitingError } from '../../errors/index.ts';
import { DNS1123_LABEL } from '../../kinds/index.ts';
import { readJson, requireString } from '../body.ts';
import type { RouteDef } from '../context.ts';
import type { ApiDeps, SecretsPort } from '../deps.ts';
import type { ResourceService } from '../resource-service.ts';
import { actorOf } from './helpers.ts';
import { kindCollection } from './resources.ts';

const KEY = /^[-._a-zA-Z0-9]+$/;

function secretData(body: Record<string, unknown>): Record<string, string> {
  const data = body.data;
  const bad = () => new ValidationError('data must map keys to string values', { details: [{ code: 'DATA', message: 'data must be an object of string values with keys [-._a-zA-Z0-9]+', field: 'data' }] });
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw bad();
  for (const [k, v] of Object.entries(data)) if (!KEY.test(k) || typeof v !== 'string') throw bad();
  if (Object.keys(data).length === 0) throw bad();
  return data as Record<string, string>;
}

/**
 * Secret values go only to the secrets port (a Kubernetes Secret in the tenant namespace): never
 * into Git, the store, a log line or an event. Lists return names and keys; grants hold references.
 */
export function secretRoutes(deps: ApiDeps, svc: ResourceService): RouteDef[] {
  const port = (): SecretsPort => {
    if (!deps.secrets) throw new WaitingError('no Secret store is configured on this server');
    return deps.secrets;
  };
  const grants = kindCollection(svc, 'AgentSecretGrant', '/api/orgs/:org/secret-grants', 'secret grants', { getOne: false, remove: false });
  return [
    {
      method: 'GET', path: '/api/orgs/:org/secrets', auth: 'org-read', runtimeOnly: true, summary: 'List secrets: names and keys, never values',
      async handler(ctx) {
        ctx.body = { secrets: await port().list(ctx.params.org!) };
      },
    },
    {
      method: 'POST', path: '/api/orgs/:org/secrets', auth: 'org-write', summary: 'Create or replace a secret ({name, data}); values go to a Kubernetes Secret only',
      async handler(ctx) {
        const body = await readJson(ctx);
        const name = requireString(body, 'name');
        if (!DNS1123_LABEL.test(name)) throw new ValidationError('name must be a DNS-1123 label', { details: [{ code: 'NAME', message: 'name must be a DNS-1123 label', field: 'name' }] });
        const data = secretData(body);
        await port().put(ctx.params.org!, name, data);
        await svc.audit(ctx.params.org!, actorOf(ctx), 'secret.put', 'Secret', name, 'stored');
        ctx.status = 201;
        ctx.body = { secret: { name, keys: Object.keys(data).sort() } };
      },
    },
    {
      method: 'DELETE', path: '/api/orgs/:org/secrets/:name', auth: 'org-write', summary: 'Delete a secret',
      async handler(ctx) {
        const { org, name } = ctx.params as { org: string; name: string };
        if (!(await port().delete(org, name))) throw new NotFoundError(`secret ${name} not found in org ${org}`);
        await svc.audit(org, actorOf(ctx), 'secret.delete', 'Secret', name, 'deleted');
        ctx.body = { deleted: true, name };
      },
    },
    ...grants.map((r) => (r.method === 'GET' ? r : { ...r, handler: async (ctx: Parameters<RouteDef['handler']>[0]) => {
      const body = await readJson(ctx);
      const spec = (body.spec ?? {}) as Record<string, unknown>;
      const leaked = ['data', 'stringData', 'value', 'values'].filter((f) => f in spec);
      if (leaked.length) throw new ValidationError('a secret grant holds references only, never values', { details: leaked.map((f) => ({ code: 'SECRET_VALUE', message: `spec.${f} is not allowed in a grant`, field: `spec.${f}` })) });
      return r.handler(ctx);
    } })),
  ];
}
