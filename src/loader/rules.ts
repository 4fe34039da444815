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
  AgentRoleBinding: [clusterScopeRule],
  // A URL is copied into delivery records, events and logs; a password in it would travel with it.
  WebhookSubscription: [(s) => urlWithoutCredentials(s, '/spec/url', 'spec.secretRef')],
  AgentMemoryRepository: [(s) => urlWithoutCredentials(s, '/spec/url', 'spec.credentialRef')],
};

/** Refuses user information in a URL field; the message never repeats the URL, which holds the secret. */
function urlWithoutCredentials(s: Scoped, pointer: string, secretField: string): LoadError | undefined {
  const value = pointer.split('/').slice(1).reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), s.resource);
  if (typeof value !== 'string' || !hasUserInfo(value)) return undefined;
  const field = pointer.slice(1).replaceAll('/', '.');
  return errorAt(s, pointer, 'CREDENTIALS_IN_URL', `${field} must not carry a user name or password; put credentials in the Secret named by ${secretField}`);
}

/** user[:password]@ between the scheme and the host; `@` later in the path or query is not user information. */
export function hasUserInfo(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url);
}

/**
 * A cluster-scoped binding becomes a ClusterRoleBinding, whose grant reaches every namespace. Tenant config
 * may only bind ClusterRoles named `kradle-*`: Kradle projects no ClusterRole, so those are installed by the
 * platform team, and a tenant cannot grant itself cluster-admin, admin, edit or a system: role.
 */
function clusterScopeRule(s: Scoped): LoadError | undefined {
  const spec = s.resource.spec as { scope?: unknown; roleRef?: unknown };
  if (spec.scope !== 'cluster') return undefined;
  const ref = spec.roleRef;
  const name = typeof ref === 'string' ? ref : ref && typeof ref === 'object' ? (ref as { name?: unknown }).name : undefined;
  const kind = ref && typeof ref === 'object' ? (ref as { kind?: unknown }).kind : undefined;
  if (kind === 'Role') {
    return errorAt(s, '/spec/roleRef', 'CLUSTER_SCOPE_DENIED', 'a cluster-scoped binding needs a ClusterRole; a Role exists only in a namespace (use scope: namespace)');
  }
  if (typeof name === 'string' && name.startsWith(CLUSTER_ROLE_PREFIX)) return undefined;
  return errorAt(
    s, '/spec/roleRef', 'CLUSTER_SCOPE_DENIED',
    `scope: cluster may only bind a platform ClusterRole named ${CLUSTER_ROLE_PREFIX}*, not ${JSON.stringify(name ?? null)}; use scope: namespace to bind it in the org's namespace`,
  );
}

const CLUSTER_ROLE_PREFIX = 'kradle-';

// Trigger rules repeat a few expressions (thousands of documents, tens of patterns): each is parsed once. Bounded,
// so a repository of distinct expressions does not grow it without end.
const cronProblems = new Map<string, string | undefined>();

function cronProblem(expr: string): string | undefined {
  if (cronProblems.has(expr)) return cronProblems.get(expr);
  if (cronProblems.size >= 1024) cronProblems.clear();
  const why = parseCron(expr);
  cronProblems.set(expr, why);
  return why;
}

function parseCron(expr: string): string | undefined {
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
