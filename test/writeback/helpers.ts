// Shared setup of the write-back tests: a small config repo, a bare copy the writer writes in place,
// a validate function that needs no loader, and resource builders.
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ErrorDetail } from '../../src/errors/index.ts';
import type { Resource } from '../../src/kinds/index.ts';
import type { Snapshot } from '../../src/source/types.ts';
import type { RevisionCheck } from '../../src/writeback/index.ts';
import { createBareClone, createTestRepo, runGit, type TestRepo } from '../support/git-repo.ts';

export const TEAM_FILE = `# The team that owns the platform repositories.
apiVersion: kradle.a5c.ai/v1alpha1
kind: Team
metadata:
  name: platform # referenced by repositories
spec:
  organizationRef: acme
  displayName: Platform # shown in the UI
  members: [alice, bob]
`;

export const POOLS_FILE = `# Both runner pools of acme.
apiVersion: kradle.a5c.ai/v1alpha1
kind: RunnerPool
metadata: {name: small}
spec:
  organizationRef: acme
  warmReplicas: 1
  maxReplicas: 4
---
apiVersion: kradle.a5c.ai/v1alpha1
kind: RunnerPool
metadata: {name: large}
spec:
  organizationRef: acme
  warmReplicas: 0 # scale from zero
  maxReplicas: 2
`;

export const ACTOR = { name: 'Ada Writer', email: 'ada@acme.example' };

export function team(name: string, displayName: string, extra: Record<string, unknown> = {}): Resource {
  return { apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', metadata: { name }, spec: { organizationRef: 'acme', displayName, ...extra } };
}

export function pool(name: string, warmReplicas: number, maxReplicas: number): Resource {
  return { apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'RunnerPool', metadata: { name }, spec: { organizationRef: 'acme', warmReplicas, maxReplicas } };
}

export interface Fixture {
  work: TestRepo;
  /** Bare repository the writer writes in place. */
  gitdir: string;
  git(...args: string[]): string;
  show(path: string, rev?: string): string;
  remove(): void;
}

/** A working repo with two config files and a bare clone of it. */
export function createFixture(): Fixture {
  const work = createTestRepo();
  work.commit({ 'orgs/acme/teams/platform.yaml': TEAM_FILE, 'orgs/acme/runnerpools.yaml': POOLS_FILE, 'README.md': 'config\n' }, 'initial');
  const gitdir = createBareClone(work.dir);
  const git = (...args: string[]) => runGit(gitdir, args);
  return {
    work,
    gitdir,
    git,
    show: (path, rev = 'main') => git('show', `${rev}:${path}`),
    remove: () => {
      work.remove();
      rmSync(dirname(gitdir), { recursive: true, force: true });
    },
  };
}

/**
 * A stand-in for the loader's checks: every document must parse and a Team needs a non-empty
 * displayName. Positions are real so the details look like the loader's.
 */
export async function simpleValidate(snapshot: Snapshot): Promise<RevisionCheck> {
  const errors: ErrorDetail[] = [];
  for (const file of snapshot.files) {
    const text = new TextDecoder().decode(await snapshot.readBlob(file.oid));
    for (const doc of parseAllDocuments(text)) {
      for (const e of doc.errors) errors.push({ code: 'YAML_SYNTAX', message: e.message, path: file.path, line: e.linePos?.[0].line, column: e.linePos?.[0].col });
      const js = doc.toJS() as Resource | null;
      if (js?.kind === 'Team' && !js.spec?.displayName) {
        const node = doc.getIn(['spec'], true) as { range?: [number, number, number] } | undefined;
        const line = node?.range ? text.slice(0, node.range[0]).split('\n').length : 1;
        errors.push({ code: 'SCHEMA', message: 'spec.displayName is required', path: file.path, line, column: 3, field: 'spec.displayName' });
      }
    }
  }
  return { errors, warnings: [] };
}
