import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { GROUP, VERSION, listKinds, type KindDefinition } from '../kinds/index.ts';
import { toStructural, type JsonSchema } from './structural-schema.ts';
import type { KubeObject } from './types.ts';

const SCHEMA_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));
const PRESERVE = 'x-kubernetes-preserve-unknown-fields';

/** Reads schemas/<Kind>.json, the schema the loader validates with. */
export function readKindSchema(kind: string, schemaDir = SCHEMA_DIR): JsonSchema {
  return JSON.parse(readFileSync(`${schemaDir}${kind}.json`, 'utf8')) as JsonSchema;
}

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  priority?: number;
}

const col = (name: string, jsonPath: string, type: PrinterColumn['type'] = 'string'): PrinterColumn => ({ name, type, jsonPath });

/** Columns `kubectl get` shows for a kind before Ready, Phase and Age. */
const KIND_COLUMNS: Readonly<Record<string, PrinterColumn[]>> = {
  Organization: [col('Namespace', '.spec.namespaceName')],
  OrgNamespaceBinding: [col('Namespace', '.spec.namespace')],
  AgentServiceAccount: [col('ServiceAccount', '.spec.serviceAccountName')],
  AgentRoleBinding: [col('Scope', '.spec.scope')],
  Repository: [col('Visibility', '.spec.visibility')],
  PolicyProfile: [col('Mode', '.spec.mode')],
  PolicyBinding: [col('Mode', '.spec.mode')],
  PolicyExceptionRequest: [col('Approved', '.spec.approved', 'boolean'), col('Expires', '.spec.expiresAt')],
  RunnerPool: [col('Warm', '.spec.warmReplicas', 'integer'), col('Max', '.spec.maxReplicas', 'integer')],
  WebhookSubscription: [col('URL', '.spec.url')],
  KradleInferenceService: [col('URL', '.status.url')],
};

const STATUS_COLUMNS: PrinterColumn[] = [
  col('Ready', '.status.conditions[?(@.type=="Ready")].status'),
  col('Phase', '.status.phase'),
  col('Age', '.metadata.creationTimestamp', 'date'),
];

function printerColumns(def: KindDefinition): PrinterColumn[] {
  const org = def.orgScoped ? [{ ...col('Org', '.spec.organizationRef'), priority: 1 }] : [];
  return [...(KIND_COLUMNS[def.kind] ?? []), ...org, ...STATUS_COLUMNS];
}

/** The CRD's schema: spec from the kind's schema (unknown fields kept, for forward compatibility), any status. */
function openApiSchema(def: KindDefinition, schema: JsonSchema): JsonSchema {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const spec = { ...toStructural(props.spec ?? { type: 'object' }), type: 'object', [PRESERVE]: true };
  const status = { ...toStructural(props.status ?? { type: 'object' }), type: 'object', [PRESERVE]: true };
  return {
    type: 'object',
    description: typeof schema.description === 'string' ? schema.description : def.kind,
    required: ['spec'],
    properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec, status },
  };
}

/** The CustomResourceDefinition of one config kind: namespaced, v1alpha1 served and stored, status subresource. */
export function buildCrd(def: KindDefinition, schema: JsonSchema): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'kradle' } },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.kind.toLowerCase(),
        categories: ['kradle', `kradle-${def.context}`],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: openApiSchema(def, schema) },
          subresources: { status: {} },
          additionalPrinterColumns: printerColumns(def),
        },
      ],
    },
  };
}

/** One CRD per config kind, in registry order. Runtime kinds live in Postgres and have none. */
export function buildCrds(schemaOf: (kind: string) => JsonSchema = (k) => readKindSchema(k)): KubeObject[] {
  return listKinds('config').map((def) => buildCrd(def, schemaOf(def.kind)));
}

/** manifests/crds/<plural>.kradle.a5c.ai.yaml */
export function crdFileName(crd: KubeObject): string {
  return `${crd.metadata.name}.yaml`;
}

/** The file text of a CRD, as gen:crds writes it and the staleness test compares it. */
export function crdYaml(crd: KubeObject): string {
  const kind = (crd.spec as { names: { kind: string } }).names.kind;
  return `# Generated from schemas/${kind}.json by \`npm run gen:crds\`; do not edit.\n${YAML.stringify(crd, { lineWidth: 0 })}`;
}
