// The config repo bench/sync and bench/sync-serve generate: `docs` documents in one org per 1,000, each org its
// own documents (orgDocs) plus Teams, so both benches measure the same repository shape.
import { orgDocs } from '../../test/support/sync-harness.ts';

export function teamDoc(org: string, i: number, displayName = `Team ${i}`): string {
  return `apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata:\n  name: team-${i}\n  labels:\n    tier: t${i % 5}\nspec:\n  organizationRef: ${org}\n  displayName: ${displayName}\n  description: generated for bench/sync\n`;
}

/** The files of a generated repo (path -> text), how many documents they hold and across how many orgs. */
export function generatedRepo(docs: number): { files: Record<string, string>; count: number; orgs: number } {
  const orgs = Math.max(1, Math.round(docs / 1000));
  const files: Record<string, string> = {};
  let count = 0;
  for (let o = 0; o < orgs && count < docs; o++) {
    const org = `org${o}`;
    for (const [path, text] of Object.entries(orgDocs(org))) if (!path.includes('/teams/')) { files[path] = text; count++; }
    for (let i = 0; count < Math.round((docs * (o + 1)) / orgs); i++, count++) files[`orgs/${org}/teams/team-${i}.yaml`] = teamDoc(org, i);
  }
  return { files, count, orgs };
}
