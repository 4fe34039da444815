import { CronPattern } from 'croner';
import type { LoadError } from './errors.ts';
import { errorAt, type OrgDirectory, type Scoped } from './scope.ts';

/** A value rule the schema cannot state because it relates two fields or parses a value. */
type Rule = (s: Scoped, dir: OrgDirectory) => LoadError | undefined;

const RULES: Record<string, Rule[]> = {
  // spec §12.1: a pool never keeps more warm runners than it may run.
  RunnerPool: [
    (s) => {
      const { warmReplicas, maxReplicas } = s.resource.spec as { warmReplicas: number; maxReplicas: number };
      return warmReplicas > maxReplicas
        ? errorAt(s, '/spec/warmReplicas', 'INVALID_VALUE', `warmReplicas (${warmReplicas}) must not exceed maxReplicas (${maxReplicas})`)
        : undefined;
    },
  ],
  // spec §8.1: a cron source must be a valid expression (5 or 6 fields, or a nickname such as @daily).
  AgentTriggerRule: [
    (s) => {
      const expr = s.resource.spec.cronExpression;
      if (typeof expr !== 'string') return undefined;
      // Parsing a pattern costs more than the rest of the document's checks: memoized on the cached parse.
      if (!('cron' in s.doc.memo)) s.doc.memo.cron = cronProblem(expr);
      const why = s.doc.memo.cron as string | undefined;
      return why ? errorAt(s, '/spec/cronExpression', 'INVALID_VALUE', `cronExpression ${JSON.stringify(expr)} is not a valid cron expression: ${why}`) : undefined;
    },
  ],
  // An org binds exactly one tenant namespace: the Organization's spec.namespaceName.
  OrgNamespaceBinding: [(s, dir) => tenantField(s, dir, '/spec/namespace', s.resource.spec.namespace)],
  // An agent's ServiceAccount lives in its org's tenant namespace.
  AgentServiceAccount: [(s, dir) => tenantField(s, dir, '/spec/namespace', s.resource.spec.namespace)],
};

function cronProblem(expr: string): string | undefined {
  try {
    new CronPattern(expr);
    return undefined;
  } catch (err) {
    return (err as Error).message.replace(/^CronPattern: /, '');
  }
}

function tenantField(s: Scoped, dir: OrgDirectory, pointer: string, value: unknown): LoadError | undefined {
  const org = s.org === null ? undefined : dir.orgs.get(s.org);
  if (!org || value === org.namespace) return undefined;
  return errorAt(s, pointer, 'NAMESPACE_MISMATCH', `${pointer.slice(1).replace('/', '.')} ${String(value)} must be org ${org.slug}'s namespace ${org.namespace}`);
}

export function checkRules(s: Scoped, dir: OrgDirectory, errors: LoadError[]): void {
  for (const rule of RULES[s.def.kind] ?? []) {
    const e = rule(s, dir);
    if (e) errors.push(e);
  }
}
