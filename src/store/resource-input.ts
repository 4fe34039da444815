import { ValidationError } from '../errors/index.ts';
import { kindDefinition, slugOfTenantNamespace, tenantNamespace, type Resource } from '../kinds/index.ts';
import type { SchemaValidator } from '../schema/index.ts';

/** A runtime document checked and reduced to the columns the store writes. */
export interface ResourceRow {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  org: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: Record<string, unknown>;
  status: Record<string, unknown>;
  resourceVersion?: string;
}

function refuseKind(doc: Resource): never {
  const def = kindDefinition(doc.kind);
  if (!def) {
    throw new ValidationError(`${JSON.stringify(doc.kind)} is not a Kradle kind`, {
      details: [{ code: 'UNKNOWN_KIND', message: `unknown kind ${JSON.stringify(doc.kind)}`, field: '/kind' }],
    });
  }
  const org = typeof doc.spec?.organizationRef === 'string' ? doc.spec.organizationRef : '<org>';
  const name = typeof doc.metadata?.name === 'string' ? doc.metadata.name : '<name>';
  const file = doc.kind === 'Organization' ? `orgs/${name}/organization.yaml` : `orgs/${org}/${def.plural}/${name}.yaml`;
  throw new ValidationError(
    `${doc.kind} is a config kind: it belongs in the config repo (${file}, by the convention orgs/<org>/<plural>/<name>.yaml), not in the runtime store`,
    { details: [{ code: 'CONFIG_KIND', message: `declare ${doc.kind} in the config repo at ${file}`, field: '/kind' }] },
  );
}

/** The tenant namespace of the record: absent or the org slug mean the org's own namespace. */
function namespaceOf(doc: Resource, org: string): string {
  const ns = doc.metadata.namespace;
  const tenant = tenantNamespace(org);
  if (ns === undefined || ns === org || ns === tenant) return tenant;
  const owner = slugOfTenantNamespace(ns);
  throw new ValidationError(`metadata.namespace ${JSON.stringify(ns)} does not belong to organization ${JSON.stringify(org)}`, {
    details: [
      {
        code: 'NAMESPACE_MISMATCH',
        message: `expected ${tenant}${owner ? ` (the namespace names organization ${owner})` : ''}`,
        field: '/metadata/namespace',
      },
    ],
  });
}

/**
 * Validates a runtime document against its kind schema and the org scoping rule; ValidationError (422)
 * with one detail per violation, a config kind or an unknown kind refused with a message naming the right place.
 */
export function checkRuntimeDoc(doc: Resource, validator: SchemaValidator): ResourceRow {
  if (!doc || typeof doc !== 'object' || typeof doc.kind !== 'string') {
    throw new ValidationError('a runtime document needs apiVersion, kind, metadata and spec', {
      details: [{ code: 'SCHEMA_VIOLATION', message: 'kind is required', field: '/kind' }],
    });
  }
  if (kindDefinition(doc.kind)?.storage !== 'runtime') refuseKind(doc);
  const { uid: _u, resourceVersion, generation: _g, creationTimestamp: _c, ...meta } = doc.metadata ?? ({} as Resource['metadata']);
  const issues = validator.validate({ ...doc, metadata: meta });
  if (issues.length) {
    throw new ValidationError(`${doc.kind} ${JSON.stringify(meta.name ?? '')} fails its schema`, {
      details: issues.map((i) => ({ code: 'SCHEMA_VIOLATION', message: i.message, field: i.pointer || '/' })),
    });
  }
  const org = String(doc.spec.organizationRef);
  return {
    apiVersion: doc.apiVersion,
    kind: doc.kind,
    namespace: namespaceOf(doc, org),
    name: meta.name,
    org,
    labels: meta.labels ?? {},
    annotations: meta.annotations ?? {},
    spec: doc.spec,
    status: doc.status ?? {},
    resourceVersion: typeof resourceVersion === 'string' ? resourceVersion : undefined,
  };
}
