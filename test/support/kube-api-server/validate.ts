// Request validation the real API server does before storing: names, kinds, namespaces.
import { isObject, type JsonObject } from './fields.ts';
import { groupVersion, type ResourceDef } from './resources.ts';
import { ApiError, badRequest, failure } from './status.ts';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// RBAC objects are validated as path segments (names such as `system:controller` are valid).
const PATH_SEGMENT = /^[^/%]+$/;

function invalid(def: ResourceDef, name: string, field: string, detail: string): ApiError {
  const message = `${def.kind} "${name}" is invalid: ${field}: Invalid value: "${name}": ${detail}`;
  return new ApiError(
    failure(422, message, {
      name, group: def.group, kind: def.kind,
      causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: "${name}": ${detail}`, field }],
    }),
  );
}

export function validateName(def: ResourceDef, name: unknown): string {
  if (typeof name !== 'string' || name === '') {
    throw new ApiError(failure(422, `${def.kind} "" is invalid: metadata.name: Required value: name is required`, {
      kind: def.kind, group: def.group, causes: [{ reason: 'FieldValueRequired', message: 'Required value: name is required', field: 'metadata.name' }],
    }));
  }
  if (def.group === 'rbac.authorization.k8s.io') {
    if (!PATH_SEGMENT.test(name) || name === '.' || name === '..') throw invalid(def, name, 'metadata.name', 'may not contain "/" or "%"');
  } else if (def.kind === 'Namespace') {
    if (name.length > 63 || !LABEL.test(name)) throw invalid(def, name, 'metadata.name', 'a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\'');
  } else if (name.length > 253 || !SUBDOMAIN.test(name)) {
    throw invalid(def, name, 'metadata.name', 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\'');
  }
  return name;
}

/** Checks a request body against the URL it was sent to; returns its metadata. */
export function checkBody(def: ResourceDef, body: unknown, ns: string | undefined, urlName?: string): JsonObject {
  if (!isObject(body)) throw badRequest('the request body must be an object');
  if (body.kind !== def.kind) throw badRequest(`the kind of the object (${String(body.kind)}) does not match the resource (${def.kind})`);
  if (body.apiVersion !== groupVersion(def)) {
    throw badRequest(`the API version of the object (${String(body.apiVersion)}) does not match the request (${groupVersion(def)})`);
  }
  const meta = isObject(body.metadata) ? body.metadata : {};
  body.metadata = meta;
  if (def.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== ns) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = ns ?? null;
  } else delete meta.namespace;
  if (urlName !== undefined) {
    if (meta.name === undefined) meta.name = urlName;
    if (meta.name !== urlName) throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${urlName})`);
  }
  validateName(def, meta.name);
  if (def.kind === 'CustomResourceDefinition') checkCrdName(def, body);
  return meta;
}

function checkCrdName(def: ResourceDef, body: JsonObject): void {
  const spec = isObject(body.spec) ? body.spec : {};
  const names = isObject(spec.names) ? spec.names : {};
  const expected = `${String(names.plural)}.${String(spec.group)}`;
  const name = String((body.metadata as JsonObject).name);
  if (name !== expected) throw invalid(def, name, 'metadata.name', `must be spec.names.plural+"."+spec.group (${expected})`);
}
