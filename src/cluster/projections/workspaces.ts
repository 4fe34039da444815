import type { DesiredResource } from '../../loader/types.ts';
import type { KubeObject } from '../types.ts';
import { asRecord, nativeMeta } from './meta.ts';

export const DEFAULT_WORKSPACE_SIZE = '10Gi';
export const DEFAULT_ACCESS_MODES = ['ReadWriteOnce'];

export function workspaceClaimName(workspaceName: string): string {
  return `kradle-ws-${workspaceName}`;
}

/**
 * KradleWorkspace: a PersistentVolumeClaim from spec.volumeSpec: size (default 10Gi), storageClassName
 * (absent: the cluster default), accessModes (default ReadWriteOnce).
 */
export function projectWorkspace(r: DesiredResource): KubeObject[] {
  const volume = asRecord(r.object.spec.volumeSpec) ?? {};
  const size = typeof volume.size === 'string' || typeof volume.size === 'number' ? String(volume.size) : DEFAULT_WORKSPACE_SIZE;
  const accessModes = Array.isArray(volume.accessModes) && volume.accessModes.length ? volume.accessModes.map(String) : DEFAULT_ACCESS_MODES;
  const spec: Record<string, unknown> = { accessModes: [...accessModes], resources: { requests: { storage: size } } };
  if (typeof volume.storageClassName === 'string' && volume.storageClassName) spec.storageClassName = volume.storageClassName;
  if (typeof volume.volumeMode === 'string') spec.volumeMode = volume.volumeMode;
  return [
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: nativeMeta(r, workspaceClaimName(r.id.name), r.id.namespace), spec },
  ];
}
