// The generated config repo of bench/load: orgs with repositories, agent stacks and trigger rules that name each other.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestRepo, type TestRepo } from '../../test/support/git-repo.ts';

const PAD = Array.from({ length: 12 }, (_, i) => `      line ${i}: the quick brown fox jumps over the lazy dog`).join('\n');

function doc(org: string, i: number): [string, string] {
  const head = (kind: string, name: string) =>
    `# generated ${kind} ${i}\napiVersion: kradle.a5c.ai/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  labels:\n    team: t${i % 7}\n` +
    `  annotations:\n    kradle.a5c.ai/description: |\n${PAD}\nspec:\n  organizationRef: ${org}\n`;
  const n = Math.floor(i / 3);
  if (i % 3 === 0) return [`orgs/${org}/repositories/repo-${n}.yaml`, `${head('Repository', `repo-${n}`)}  visibility: private\n  defaultBranch: main\n`];
  if (i % 3 === 1) {
    return [`orgs/${org}/agentstacks/stack-${n}.yaml`,
      `${head('AgentStack', `stack-${n}`)}  baseAgent: claude-code\n  adapter: adapter\n  runtimeIdentity: bot\n  requiresApproval: false\n`];
  }
  return [`orgs/${org}/agenttriggerrules/trigger-${n}.yaml`,
    `${head('AgentTriggerRule', `trigger-${n}`)}  sources: [pull_request.opened]\n  agentStack: stack-${n}\n  repository: repo-${n}\n  taskKind: review\n  cronExpression: "0 ${n % 24} * * *"\n`];
}

/** Writes DOCS documents of ORGS orgs below `dir` (orgs/<org>/<plural>/<name>.yaml); returns their paths. */
export function generateRepo(dir: string, DOCS: number, ORGS: number): string[] {
  const paths: string[] = [];
  const put = (path: string, text: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
    paths.push(path);
  };
  const perOrg = Math.ceil((DOCS - ORGS * 3) / ORGS);
  for (let o = 0; o < ORGS; o++) {
    const org = `org-${o}`;
    put(`orgs/${org}/organization.yaml`,
      `apiVersion: kradle.a5c.ai/v1alpha1\nkind: Organization\nmetadata:\n  name: ${org}\nspec:\n  displayName: Org ${o}\n  namespaceName: kradle-org-${org}\n` +
      `---\napiVersion: kradle.a5c.ai/v1alpha1\nkind: AgentAdapter\nmetadata:\n  name: adapter\nspec:\n  organizationRef: ${org}\n  adapterType: cli\n  transport: stdio\n` +
      `---\napiVersion: kradle.a5c.ai/v1alpha1\nkind: AgentServiceAccount\nmetadata:\n  name: bot\nspec:\n  organizationRef: ${org}\n  namespace: kradle-org-${org}\n  serviceAccountName: bot\n`);
    for (let i = 0; i < perOrg && paths.length < DOCS - 2 * ORGS; i++) put(...doc(org, i));
  }
  return paths;
}


/** A Git repository in `dir` holding the generated repo in one commit, packed as a clone would have it. */
export function packedGeneratedRepo(dir: string, docs: number, orgs: number): { repo: TestRepo; paths: string[] } {
  const repo = createTestRepo(dir);
  repo.git('config', 'gc.auto', '0');
  const paths = generateRepo(dir, docs, orgs);
  repo.git('add', '-A');
  repo.git('commit', '-q', '-m', 'generated');
  repo.git('repack', '-a', '-d', '-q');
  return { repo, paths };
}
