import type { DesiredState } from '../loader/types.ts';
import { desiredSpec, orgResources, refName } from './refs.ts';

export interface DispatchDefaults {
  repository: unknown;
  sourceRefs: unknown[];
  /** Why a field that is still missing could not be defaulted, and what to pass instead. */
  unresolved: string[];
}

const listed = (names: string[]) => (names.length > 5 ? `${names.slice(0, 5).join(', ')}, ...` : names.join(', '));

/**
 * The repository and ref of a dispatch that names only its stack (spec §5.1 gives `kradle_dispatch_agent` the
 * input `{stackRef}`), where there is one answer: the only Repository the stack's workspace policy allows, else
 * the org's only Repository; and that Repository's default branch (`main` when it declares none, as merges
 * take it). What is ambiguous is left missing, with the reason, for the request check to refuse.
 */
export function dispatchDefaults(state: DesiredState, org: string, req: { stack: unknown; repository: unknown; sourceRefs: unknown[] }): DispatchDefaults {
  const unresolved: string[] = [];
  let repository = req.repository;
  if (!refName(repository)) {
    const stackName = refName(req.stack);
    const policyName = refName(desiredSpec(state, 'AgentStack', org, stackName)?.workspacePolicy);
    const allowed = desiredSpec(state, 'KradleWorkspacePolicy', org, policyName)?.allowedRepositories;
    const [names, owner] = Array.isArray(allowed)
      ? [allowed.map(refName).filter((n): n is string => !!n), `the workspace policy ${policyName} of stack ${stackName} allows`]
      : [orgResources(state, org, 'Repository').map((r) => r.id.name), `org ${org} declares`];
    if (names.length === 1) repository = names[0];
    else if (!names.length) unresolved.push(`${owner} no Repository to default to: pass repository`);
    else unresolved.push(`${owner} ${names.length} repositories (${listed(names)}): pass repository`);
  }
  let sourceRefs = Array.isArray(req.sourceRefs) ? req.sourceRefs : [];
  const repoName = refName(repository);
  if (!sourceRefs.length && repoName) {
    const repo = desiredSpec(state, 'Repository', org, repoName);
    if (repo) {
      const branch = typeof repo.defaultBranch === 'string' && repo.defaultBranch ? repo.defaultBranch : 'main';
      sourceRefs = [branch.startsWith('refs/') ? branch : `refs/heads/${branch}`];
    } else {
      unresolved.push(`Repository ${repoName} is not declared in org ${org}, so it has no default branch: pass ref`);
    }
  }
  return { repository, sourceRefs, unresolved };
}
