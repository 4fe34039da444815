/**
 * JSON Schema (draft-07, as in schemas/) -> the structural OpenAPI v3 subset a CRD accepts: every node has
 * one type or x-kubernetes-preserve-unknown-fields, no oneOf/anyOf/not/const/$id, additionalProperties never
 * beside properties, arrays always with items. Validation Kubernetes cannot express is dropped here: the
 * loader validates every document against the full schema before anything is applied.
 */
export type JsonSchema = Record<string, unknown>;

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
/** Formats the apiserver knows; others would be rejected or ignored, so they are dropped. */
const FORMATS = new Set(['date-time', 'date', 'email', 'hostname', 'ipv4', 'ipv6', 'uri', 'uuid', 'byte', 'duration', 'cidr']);
const COPIED = [
  'description', 'minimum', 'maximum', 'multipleOf', 'minLength', 'maxLength', 'pattern',
  'minItems', 'maxItems', 'minProperties', 'maxProperties', 'enum',
] as const;

const isObject = (v: unknown): v is JsonSchema => !!v && typeof v === 'object' && !Array.isArray(v);

/** allOf parts merged into one node; `not` parts (the §4.1 presence check) dropped. */
function flatten(node: JsonSchema): JsonSchema {
  const { allOf, not: _not, ...rest } = node;
  if (!Array.isArray(allOf)) return rest;
  return allOf.filter(isObject).map(flatten).reduce<JsonSchema>((acc, part) => ({ ...part, ...acc }), rest);
}

function typeOf(node: JsonSchema): string | undefined {
  if (typeof node.type === 'string') return TYPES.has(node.type) ? node.type : undefined;
  if (node.type !== undefined) return undefined;
  if ('const' in node) return jsonType(node.const);
  if (Array.isArray(node.enum) && node.enum.length) return jsonType(node.enum[0]);
  if (isObject(node.properties)) return 'object';
  if (isObject(node.items)) return 'array';
  return undefined;
}

function jsonType(v: unknown): string | undefined {
  if (typeof v === 'string' || typeof v === 'boolean') return typeof v;
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return undefined;
}

/** Converts one node. A node of several possible types (a ref: name or object) keeps any value. */
export function toStructural(input: JsonSchema): JsonSchema {
  const node = flatten(input);
  const type = typeOf(node);
  if (!type || Array.isArray(node.oneOf) || Array.isArray(node.anyOf)) {
    return type === 'object' || type === 'array' || !type ? anyValue(node) : scalar(node, type);
  }
  if (type === 'object') return objectNode(node);
  if (type === 'array') return { ...scalar(node, type), items: isObject(node.items) ? toStructural(node.items) : { [PRESERVE]: true } };
  return scalar(node, type);
}

function anyValue(node: JsonSchema): JsonSchema {
  return { ...(typeof node.description === 'string' ? { description: node.description } : {}), [PRESERVE]: true };
}

function scalar(node: JsonSchema, type: string): JsonSchema {
  const out: JsonSchema = { type };
  for (const key of COPIED) if (node[key] !== undefined) out[key] = node[key];
  if ('const' in node) out.enum = [node.const];
  if (typeof node.format === 'string' && FORMATS.has(node.format)) out.format = node.format;
  // draft-07 exclusive bounds are numbers; OpenAPI v3 has a bound plus a boolean.
  if (typeof node.exclusiveMinimum === 'number') Object.assign(out, { minimum: node.exclusiveMinimum, exclusiveMinimum: true });
  if (typeof node.exclusiveMaximum === 'number') Object.assign(out, { maximum: node.exclusiveMaximum, exclusiveMaximum: true });
  return out;
}

/**
 * Objects keep their known properties and, since Kradle schemas accept unknown nested fields, preserve the
 * rest rather than let the apiserver prune them. A map (additionalProperties schema, no properties) stays a map.
 */
function objectNode(node: JsonSchema): JsonSchema {
  const out = scalar(node, 'object');
  const props: Record<string, JsonSchema> = {};
  for (const [k, v] of Object.entries(isObject(node.properties) ? node.properties : {})) props[k] = isObject(v) ? toStructural(v) : { [PRESERVE]: true };
  const required = Array.isArray(node.required) ? node.required.map(String) : [];
  for (const name of required) props[name] ??= { [PRESERVE]: true };
  if (required.length) out.required = required;
  if (Object.keys(props).length) out.properties = props;
  if (!out.properties && isObject(node.additionalProperties)) out.additionalProperties = toStructural(node.additionalProperties);
  else out[PRESERVE] = true;
  return out;
}
