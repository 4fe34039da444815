import type { PreviewProjector } from '../plan/index.ts';
import { objectRef } from './apply-order.ts';
import { PRUNE_ANNOTATION, PRUNE_DISABLED } from './projections/meta.ts';
import { projectResource } from './projections/index.ts';

/** The objects a resource produces, for previews: the same projection the sync pass applies. */
export const previewProjector: PreviewProjector = {
  objects: (r, state) => projectResource(r, state).map(objectRef),
  keepsOnDelete: (r) => r.object.metadata.annotations?.[PRUNE_ANNOTATION] === PRUNE_DISABLED,
};
