import { API_VERSION } from './registry.ts';
import { SPEC_FIELDS } from './spec-fields.ts';
import type { KindDefinition } from './types.ts';

type JsonSchema = Record<string, unknown>;

const DNS1123_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
// Kubernetes' qualified names and label values: checked at load, since the API server would refuse the
// whole object at apply, far from the line that caused it.
const QUALIFIED_NAME = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$';
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';
const labelMap: JsonSchema = {
  type: 'object',
  propertyNames: { maxLength: 316, pattern: QUALIFIED_NAME },
  additionalProperties: { type: 'string', maxLength: 63, pattern: LABEL_VALUE },
};
const annotationMap: JsonSchema = { type: 'object', propertyNames: { maxLength: 316, pattern: QUALIFIED_NAME }, additionalProperties: { type: 'string' } };
const ORG_REF: JsonSchema = { type: 'string', pattern: DNS1123_LABEL_PATTERN };
/** §4.1: a required field is present, not null and not the empty string. */
const PRESENT: JsonSchema = { not: { anyOf: [{ type: 'null' }, { const: '' }] } };

/**
 * The JSON Schema of a kind: apiVersion and kind constants, metadata with a DNS-1123 name,
 * spec with its required fields; unknown spec fields pass (forward compatibility),
 * unknown top-level fields do not.
 */
export function buildKindSchema(def: KindDefinition): JsonSchema {
  const parts = SPEC_FIELDS[def.kind] ?? {};
  const specProps: Record<string, JsonSchema> = {};
  for (const field of def.requiredSpec) specProps[field] = PRESENT;
  if (def.orgScoped) specProps.organizationRef = ORG_REF;
  for (const [field, schema] of Object.entries(parts.spec ?? {})) {
    specProps[field] = def.requiredSpec.includes(field) ? { allOf: [PRESENT, schema] } : schema;
  }
  const status: JsonSchema = { type: 'object', properties: { ...(parts.status ?? {}) } };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `https://kradle.a5c.ai/schemas/${def.kind}.json`,
    title: def.kind,
    description: `${def.kind} (${def.storage === 'config' ? 'config kind: declared in Git' : 'runtime kind: stored in Postgres'}, ${def.context} context)`,
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    additionalProperties: false,
    properties: {
      apiVersion: { const: API_VERSION },
      kind: { const: def.kind },
      metadata: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 63, pattern: DNS1123_LABEL_PATTERN },
          namespace: { type: 'string', minLength: 1, maxLength: 63, pattern: DNS1123_LABEL_PATTERN },
          labels: labelMap,
          annotations: annotationMap,
        },
      },
      spec: { type: 'object', required: [...def.requiredSpec], properties: specProps },
      status,
    },
  };
}
