import type { ApiClient } from '../cli/client.ts';
import { apiPath } from '../cli/client.ts';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** An agent stack with the readiness conditions of spec §10, as the controller last wrote them. */
export interface StackView {
  name: string;
  /** True / False as the stack's Ready condition says; Unknown before the controller reported one. */
  ready: 'True' | 'False' | 'Unknown';
  baseAgent?: unknown;
  model?: unknown;
  conditions: Condition[];
}

function readyOf(conditions: Condition[]): StackView['ready'] {
  const ready = conditions.find((c) => c.type === 'Ready')?.status;
  return ready === 'True' || ready === 'False' ? ready : 'Unknown';
}

/** GET each AgentStack of the org through the API: the list holds specs only, a get adds the status. */
export async function listStacks(api: ApiClient, org: string): Promise<StackView[]> {
  const items: { metadata: { name: string } }[] = [];
  let cont: string | undefined;
  do {
    const page = await api.request<{ items: typeof items; continue?: string }>('GET', apiPath`/api/orgs/${org}/resources`, { query: { kind: 'AgentStack', continue: cont } });
    items.push(...page.body.items);
    cont = page.body.continue;
  } while (cont);
  const out: StackView[] = [];
  for (const item of items) {
    const { body } = await api.request<{ spec: Record<string, unknown>; status?: { conditions?: Condition[] } }>('GET', apiPath`/api/orgs/${org}/resources/AgentStack/${item.metadata.name}`);
    const conditions = (body.status?.conditions ?? []).map(({ type, status, reason, message }) => ({ type, status, reason, message }));
    out.push({ name: item.metadata.name, ready: readyOf(conditions), baseAgent: body.spec.baseAgent, model: body.spec.model, conditions });
  }
  return out;
}
