type JsonSchema = Record<string, unknown>;

/**
 * The fields a schema lists for a value, where it lists them all. `keys`: the value is an object whose schema
 * names its properties and lets no other key through (additionalProperties, patternProperties); each key maps to
 * the shape of its value, or null when nothing below it is checked. `items`: the value is a list, each item of
 * this shape. A value with neither (a map, a scalar, a free-form field) is not looked into.
 */
export interface FieldShape {
  keys?: ReadonlyMap<string, FieldShape | null>;
  items?: FieldShape;
}

/** What the branches of one value's schemas (with their allOf/anyOf/oneOf) say about its keys and items. */
interface Gathered {
  /** Some branch describes an object. */
  object: boolean;
  /** Some branch lets keys through that it does not name: the object is not checked. */
  open: boolean;
  props: Map<string, JsonSchema[]>;
  items: JsonSchema[];
}

const isSchema = (s: unknown): s is JsonSchema => s !== null && typeof s === 'object' && !Array.isArray(s);
const typesOf = (s: JsonSchema): unknown[] => (Array.isArray(s.type) ? s.type : [s.type]);

function gather(s: JsonSchema, into: Gathered): void {
  const props = s.properties;
  if (isSchema(props)) {
    into.object = true;
    for (const [k, v] of Object.entries(props)) if (isSchema(v)) (into.props.get(k) ?? into.props.set(k, []).get(k)!).push(v);
  }
  // No additionalProperties counts as closed here, though JSON Schema lets other keys through: the generated
  // schemas list every field Kradle reads and accept the rest for forward compatibility, which is exactly the
  // case for a warning rather than an error. An explicit additionalProperties (a map's value schema, or true)
  // or patternProperties does open the object; so does a $ref, which this does not follow.
  const extra = s.additionalProperties;
  if ((extra !== undefined && extra !== false) || s.patternProperties !== undefined || s.$ref !== undefined) into.open = true;
  else if (!isSchema(props) && typesOf(s).includes('object')) (into.object = true), (into.open = true);
  if (isSchema(s.items)) into.items.push(s.items);
  // `not` says what a value must not be (the spec's presence rule): it names no field.
  for (const branch of [s.allOf, s.anyOf, s.oneOf]) {
    if (Array.isArray(branch)) for (const b of branch) if (isSchema(b)) gather(b, into);
  }
}

/** The shape of a value all of `schemas` describe (a oneOf's branches count as one union); null: nothing to check. */
function shapeOf(schemas: JsonSchema[]): FieldShape | null {
  const g: Gathered = { object: false, open: false, props: new Map(), items: [] };
  for (const s of schemas) gather(s, g);
  const shape: { keys?: Map<string, FieldShape | null>; items?: FieldShape } = {};
  if (g.object && !g.open) shape.keys = new Map([...g.props].map(([k, list]) => [k, shapeOf(list)]));
  const items = g.items.length ? shapeOf(g.items) : null;
  if (items) shape.items = items;
  return shape.keys || shape.items ? shape : null;
}

/** The shape of a kind's spec, from its whole schema (schemas/<Kind>.json); undefined when it checks nothing. */
export function specShape(kindSchema: unknown): FieldShape | undefined {
  const spec = isSchema(kindSchema) && isSchema(kindSchema.properties) ? kindSchema.properties.spec : undefined;
  return (isSchema(spec) && shapeOf([spec])) || undefined;
}

const escape = (key: string) => (key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key);

/**
 * JSON pointers (below `pointer`) of the keys of `value` that `shape` does not list, in the value's key order,
 * depth first. Costs one Map lookup per key of a checked object; most spec values are not looked into.
 */
export function unknownKeys(value: unknown, shape: FieldShape | undefined, pointer: string, out: string[] = []): string[] {
  if (shape === undefined || value === null || typeof value !== 'object') return out;
  if (Array.isArray(value)) {
    const items = shape.items;
    if (items) for (let i = 0; i < value.length; i++) unknownKeys(value[i], items, `${pointer}/${i}`, out);
    return out;
  }
  const keys = shape.keys;
  if (!keys) return out;
  for (const k of Object.keys(value)) {
    const below = keys.get(k);
    if (below === undefined) out.push(`${pointer}/${escape(k)}`);
    else if (below !== null) unknownKeys((value as Record<string, unknown>)[k], below, `${pointer}/${escape(k)}`, out);
  }
  return out;
}
