import type { DesiredResource } from '../../loader/types.ts';
import type { KubeObject } from '../types.ts';
import { asRecord, nativeMeta } from './meta.ts';

const KSERVE_V1BETA1 = 'serving.kserve.io/v1beta1';
const KSERVE_V1ALPHA1 = 'serving.kserve.io/v1alpha1';
/** KServe looks for the model server container by this name. */
const KSERVE_CONTAINER = 'kserve-container';

/**
 * KradleInferenceService: a KServe InferenceService of the same name (its URL is what users call).
 * predictor.resources moves into predictor.model, where KServe reads container resources;
 * protocolVersion defaults to v2 (spec §9.1); model.runtime names a KradleServingRuntime, projected
 * under the same name, so it passes through.
 */
export function projectInferenceService(r: DesiredResource): KubeObject[] {
  const predictor = asRecord(r.object.spec.predictor) ?? {};
  const model: Record<string, unknown> = { protocolVersion: 'v2', ...structuredClone(asRecord(predictor.model) ?? {}) };
  const resources = asRecord(predictor.resources);
  if (resources) model.resources = structuredClone(resources);
  return [
    {
      apiVersion: KSERVE_V1BETA1,
      kind: 'InferenceService',
      metadata: nativeMeta(r, r.id.name, r.id.namespace),
      spec: { predictor: { model } },
    },
  ];
}

/** KradleServingRuntime: a KServe ServingRuntime of the same name; an unnamed first container is the model server. */
export function projectServingRuntime(r: DesiredResource): KubeObject[] {
  const spec = r.object.spec;
  const formats = Array.isArray(spec.supportedModelFormats) ? structuredClone(spec.supportedModelFormats) : [];
  const containers = (Array.isArray(spec.containers) ? structuredClone(spec.containers) : []).map((c, i) => {
    const container = asRecord(c) ?? {};
    return typeof container.name === 'string' ? container : { name: i === 0 ? KSERVE_CONTAINER : `container-${i}`, ...container };
  });
  const out: Record<string, unknown> = { supportedModelFormats: formats, containers };
  if (typeof spec.multiModel === 'boolean') out.multiModel = spec.multiModel;
  return [{ apiVersion: KSERVE_V1ALPHA1, kind: 'ServingRuntime', metadata: nativeMeta(r, r.id.name, r.id.namespace), spec: out }];
}
