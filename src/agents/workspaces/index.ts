// workspaces/ owns the §7 workspace lifecycle: records, race-free claims, the phase and warm-pool reconcilers.
// It must not hold dispatch rules: dispatch claims through claimWorkspace and the reconciler releases.
import { ConflictError, NotFoundError } from '../../errors/index.ts';
import { tenantNamespace } from '../../kinds/index.ts';
import type { ListPage, Store, StoredResource } from '../../store/types.ts';
import { moveWorkspace } from './claims.ts';
import { WORKSPACE_KIND } from './pool.ts';

export { claimWorkspace, type WorkspacePhase } from './claims.ts';
export { createWorkspaceController, type WorkspaceController } from './controller.ts';
export { claimNameOf, poolConfig, stackPolicy, WORKSPACE_KIND } from './pool.ts';

export interface WorkspaceService {
  list(org: string, opts?: { limit?: number; continue?: string }): Promise<ListPage<StoredResource>>;
  /** Marks a workspace for archiving: Ready ones go at once, InUse ones when their run releases them. */
  archive(org: string, name: string, actor: string): Promise<StoredResource>;
}

export function createWorkspaceService(store: Pick<Store, 'resources'>): WorkspaceService {
  return {
    list: (org, opts = {}) => store.resources.list(WORKSPACE_KIND, { namespace: tenantNamespace(org), ...opts }),
    async archive(org, name, actor) {
      const cur = await store.resources.get(WORKSPACE_KIND, tenantNamespace(org), name);
      if (!cur) throw new NotFoundError(`workspace ${name} not found in org ${org}`);
      if (cur.status.phase === 'Archived') throw new ConflictError(`workspace ${name} is already Archived`);
      const moved = await moveWorkspace(store, org, name, (w) => (w.status.archiveRequested || w.status.phase === 'Archived' ? undefined : { ...w.status, archiveRequested: true, archiveRequestedBy: actor }), actor);
      return moved ?? (await store.resources.get(WORKSPACE_KIND, tenantNamespace(org), name))!;
    },
  };
}
