import { BadRequestError, ValidationError, type ErrorDetail } from '../errors/index.ts';
import {
  API_VERSION,
  DNS1123_LABEL,
  resolveKind,
  tenantNamespace,
  type KindDefinition,
  type Resource,
} from '../kinds/index.ts';
import { valueOverLimits } from '../loader/index.ts';
import { createSchemaValidator } from '../schema/index.ts';

const validator = createSchemaValidator();
const TOP_LEVEL_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);

/** Where a kind is read and written, for errors that send the caller to the right route. */
export function routeFor(org: string, def: KindDefinition): string {
  return def.storage === 'config'
    ? `/api/orgs/${org}/resources (kind ${def.kind}, a config kind kept in Git)`
    : `/api/orgs/${org}/runtime-resources/${def.plural} (kind ${def.kind}, a runtime kind kept in the store)`;
}

/** Resolves a kind from a URL or body; 400 naming the kind when it is unknown. */
export function kindOf(name: unknown): KindDefinition {
  const def = typeof name === 'string' ? resolveKind(name) : undefined;
  if (name === undefined || name === '') {
    throw new BadRequestError('the resource names no kind: give kind (`kradle kinds` lists them)', { details: [{ code: 'REQUIRED', message: 'kind is required', field: 'kind' }] });
  }
  if (!def) throw new BadRequestError(`unknown kind ${JSON.stringify(name)}`, { details: [{ code: 'UNKNOWN_KIND', message: `unknown kind ${String(name)}`, field: 'kind' }] });
  return def;
}

/** Refuses a kind of the other storage on a storage-specific route, naming where it belongs. */
export function requireStorage(org: string, def: KindDefinition, storage: 'config' | 'runtime'): void {
  if (def.storage !== storage) {
    throw new BadRequestError(`${def.kind} is a ${def.storage} kind; use ${routeFor(org, def)}`, {
      details: [{ code: 'WRONG_STORAGE', message: `use ${routeFor(org, def)}`, field: 'kind' }],
    });
  }
}

/**
 * Turns a request body into a document of `org`: fills apiVersion, namespace and organizationRef,
 * refuses values naming another org, and validates against the kind's schema (422 with details).
 */
export function normalizeDocument(org: string, body: Record<string, unknown>, expectKind?: string, orgNamespace = tenantNamespace(org)): Resource {
  const def = kindOf(body.kind ?? expectKind);
  if (expectKind && def.kind !== expectKind) {
    throw new BadRequestError(`this route takes ${expectKind}, not ${def.kind}; use ${routeFor(org, def)}`);
  }
  if (def.platformScoped) throw new BadRequestError(`${def.kind} is platform-scoped; use POST /api/orgs`);
  // Checked first: the YAML writer would spend long on a document the loader refuses anyway.
  const over = valueOverLimits(body);
  if (over) throw new ValidationError(over.message, { details: [{ code: 'LIMIT_EXCEEDED', message: over.message, field: over.pointer }] });
  const details: ErrorDetail[] = [];
  // The document is rebuilt from these fields below, so another one would be dropped without a word; the
  // loader refuses it in the config repo (the schemas allow no other top-level field), and so does the API.
  for (const field of Object.keys(body)) {
    if (!TOP_LEVEL_FIELDS.has(field)) details.push({ code: 'SCHEMA', message: `unknown top-level field ${JSON.stringify(field)} (a document has ${[...TOP_LEVEL_FIELDS].join(', ')})`, field });
  }
  // Spread below, a string or a list would turn into numbered keys and fail (or pass) for the wrong reason.
  for (const field of ['metadata', 'spec', 'status'] as const) {
    const v = body[field];
    if (v !== undefined && (v === null || typeof v !== 'object' || Array.isArray(v))) {
      throw new ValidationError(`${field} must be an object`, { details: [{ code: 'SCHEMA', message: `${field} must be an object`, field }] });
    }
  }
  const meta = (body.metadata ?? {}) as Record<string, unknown>;
  const spec = (body.spec ?? {}) as Record<string, unknown>;
  // A config document lands in the org's namespace as its Organization names it (tenantNamespaceOf); a runtime
  // record is stored under the conventional one. Either may be written as the slug, or left out, as the loader allows.
  const ns = def.storage === 'config' ? orgNamespace : tenantNamespace(org);
  const accepted = new Set([org, ns, def.storage === 'runtime' ? orgNamespace : ns]);
  if (body.apiVersion !== undefined && body.apiVersion !== API_VERSION) {
    details.push({ code: 'API_VERSION', message: `apiVersion must be ${API_VERSION}`, field: 'apiVersion' });
  }
  if (typeof meta.name !== 'string' || !DNS1123_LABEL.test(meta.name)) {
    details.push({ code: 'NAME', message: 'metadata.name must be a DNS-1123 label', field: 'metadata.name' });
  }
  if (meta.namespace !== undefined && !accepted.has(meta.namespace as string)) {
    details.push({ code: 'NAMESPACE', message: `metadata.namespace must be ${ns}, ${org} or absent for org ${org}`, field: 'metadata.namespace' });
  }
  if (def.orgScoped && spec.organizationRef !== undefined && spec.organizationRef !== org) {
    details.push({ code: 'ORG_MISMATCH', message: `spec.organizationRef must be ${org}`, field: 'spec.organizationRef' });
  }
  const doc: Resource = {
    apiVersion: API_VERSION,
    kind: def.kind,
    metadata: { ...meta, name: String(meta.name ?? ''), namespace: ns },
    spec: def.orgScoped ? { ...spec, organizationRef: org } : spec,
  };
  if (def.storage === 'runtime' && body.status !== undefined) doc.status = body.status as Record<string, unknown>;
  // A field a check above named already is not named again by its schema: an invalid name is one error, not two.
  const named = new Set(details.map((d) => `/${d.field!.replace(/\./g, '/')}`));
  for (const issue of validator.validate(doc)) {
    if (!named.has(issue.pointer)) details.push({ code: 'SCHEMA', message: issue.message, field: issue.pointer });
  }
  if (details.length) throw new ValidationError(`${def.kind} ${String(meta.name ?? '')} is invalid`, { details });
  return doc;
}
