// Turns a directory of fixtures/ into a real Git repository in a temp dir, committed on main.
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createGitSource } from '../../src/source/index.ts';
import { createTestRepo, tempDir, type TestRepo } from '../support/git-repo.ts';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export interface FixtureRepo extends TestRepo {
  first: string;
  snapshot(commit?: string): ReturnType<ReturnType<typeof createGitSource>['snapshot']>;
}

export function fixtureRepo(name: string): FixtureRepo {
  const dir = tempDir('kradle-loader-');
  cpSync(`${FIXTURES}${name}`, dir, { recursive: true });
  const repo = createTestRepo(dir);
  const first = repo.commit({}, `fixture ${name}`);
  const source = createGitSource({ url: dir });
  return { ...repo, first, snapshot: (commit = repo.head()) => source.snapshot(commit) };
}
