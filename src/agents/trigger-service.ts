import { createHash } from 'node:crypto';
import { ConflictError } from '../errors/index.ts';
import { tenantNamespace } from '../kinds/index.ts';
import type { DesiredResource, DesiredState } from '../loader/types.ts';
import type { Store, StoredResource } from '../store/types.ts';
import type { DispatchRequest } from './dispatch-create.ts';
import { dispatchDefaults } from './dispatch-defaults.ts';
import { cryptoRandom, randomName, refName, runtimeDoc, systemClock, type Clock, type RandomSource } from './refs.ts';
import { checkEvent, eventUid, matchRule, type TriggerEvent, type TriggerRuleSpec } from './triggers.ts';
import { mutateStatus } from './status.ts';

export type TriggerDecision = 'dispatched' | 'deduplicated' | 'rejected' | 'no-match';

export interface TriggerOutcome {
  rule: string;
  decision: TriggerDecision;
  reason: string;
  execution: string;
  run?: string;
}

export interface TriggerDeps {
  store: Store;
  desired: () => DesiredState | undefined;
  dispatch: { create(org: string, req: DispatchRequest): Promise<StoredResource> };
  clock?: Clock;
  random?: RandomSource;
}

const EXEC = 'AgentTriggerExecution';
const MAX_SLOTS = 50;

/** The execution name that claims (rule, event uid): slot 0, then 1, 2... after Failed ones (§8.3). */
function claimName(rule: string, uid: string, slot: number): string {
  const h = createHash('sha256').update(`${rule}\0${uid}`).digest('hex').slice(0, 32);
  return slot ? `te-${h}-${slot}` : `te-${h}`;
}

/** A fork pull request or a disabled rule is a rejection; anything else that does not match is no-match. */
function classify(spec: TriggerRuleSpec, event: TriggerEvent): TriggerDecision {
  return event.fork || spec.enabled === false ? 'rejected' : 'no-match';
}

export function createTriggerService(deps: TriggerDeps) {
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? cryptoRandom;

  const record = (org: string, name: string, rule: string, uid: string, decision: TriggerDecision, reason: string, status: Record<string, unknown>) =>
    deps.store.resources.create(runtimeDoc(EXEC, org, name, { triggerRule: rule, sourceEvent: uid, decision, reason }, { status: { evaluatedAt: clock.now().toISOString(), ...status } }));

  /** Claims the dedupe slot atomically; returns the existing live execution when the event was already dispatched. */
  async function claim(org: string, rule: string, uid: string): Promise<{ claimed: StoredResource } | { existing: StoredResource }> {
    for (let slot = 0; slot < MAX_SLOTS; slot++) {
      const name = claimName(rule, uid, slot);
      try {
        return { claimed: await record(org, name, rule, uid, 'dispatched', 'rule matched', { phase: 'Dispatching' }) };
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        const existing = await deps.store.resources.get(EXEC, tenantNamespace(org), name);
        if (existing && existing.status.phase !== 'Failed') return { existing };
      }
    }
    throw new ConflictError(`trigger ${rule} failed ${MAX_SLOTS} times for event ${uid}`);
  }

  async function evaluate(state: DesiredState, org: string, rule: DesiredResource, event: TriggerEvent): Promise<TriggerOutcome> {
    const spec = rule.object.spec as TriggerRuleSpec;
    const name = rule.id.name;
    const uid = eventUid(event);
    const match = matchRule(spec, event);
    if (!match.matched) {
      const decision = classify(spec, event);
      const ex = await record(org, randomName('te', random), name, uid, decision, match.reason, { phase: 'Evaluated' });
      return { rule: name, decision, reason: match.reason, execution: ex.metadata.name };
    }
    // What the event and rule leave out, createRun defaults. What it cannot default is this rule's rejection, decided
    // before a slot is claimed: it holds no slot, and it does not stop the event's other rules as a throw would.
    const given = { stack: spec.agentStack, repository: event.repository ?? refName(spec.repository), sourceRefs: event.ref ? [event.ref] : [] };
    const { unresolved } = dispatchDefaults(state, org, given);
    if (unresolved.length) {
      const reason = `cannot dispatch: ${unresolved.join('; ')}`;
      const ex = await record(org, randomName('te', random), name, uid, 'rejected', reason, { phase: 'Evaluated' });
      return { rule: name, decision: 'rejected', reason, execution: ex.metadata.name };
    }
    const got = await claim(org, name, uid);
    if ('existing' in got) {
      const reason = `event ${uid} already dispatched by execution ${got.existing.metadata.name}${got.existing.status.runRef ? ` (run ${String(got.existing.status.runRef)})` : ''}`;
      const ex = await record(org, randomName('te', random), name, uid, 'deduplicated', reason, { phase: 'Evaluated', duplicateOf: got.existing.metadata.name });
      return { rule: name, decision: 'deduplicated', reason, execution: ex.metadata.name, run: got.existing.status.runRef as string | undefined };
    }
    const exec = got.claimed.metadata.name;
    try {
      const run = await deps.dispatch.create(org, { ...given, taskKind: String(spec.taskKind ?? 'default'), requestedBy: `trigger:${name}`, trigger: exec });
      // A run that failed at once frees the slot, so the same event may dispatch again (§8.3).
      const phase = run.status.phase === 'Failed' ? 'Failed' : 'Dispatched';
      await mutateStatus(deps.store, EXEC, org, exec, (e) => ({ ...e.status, phase, runRef: run.metadata.name }));
      return { rule: name, decision: 'dispatched', reason: 'rule matched', execution: exec, run: run.metadata.name };
    } catch (err) {
      await mutateStatus(deps.store, EXEC, org, exec, (e) => ({ ...e.status, phase: 'Failed', error: (err as Error).message }));
      throw err;
    }
  }

  return {
    /** Evaluates every AgentTriggerRule of the org against the event; each evaluation is an AgentTriggerExecution. */
    async processEvent(org: string, input: TriggerEvent): Promise<TriggerOutcome[]> {
      const event = checkEvent(input);
      const state = deps.desired();
      if (!state) return [];
      // A schedule tick belongs to the rule that scheduled it; other rules do not see it.
      const rules = state.byOrg(org).filter((r) => r.id.kind === 'AgentTriggerRule').filter(
        (r) => event.type !== 'schedule' || event.source.kind !== 'AgentTriggerRule' || event.source.name === r.id.name,
      );
      const out: TriggerOutcome[] = [];
      for (const rule of rules) out.push(await evaluate(state, org, rule, event));
      return out;
    },
    /** Marks the execution of a run Failed when the run fails, so the same event may trigger again. */
    async runFailed(org: string, execution: string): Promise<void> {
      await mutateStatus(deps.store, EXEC, org, execution, (e) => (e.status.phase === 'Failed' ? undefined : { ...e.status, phase: 'Failed' }));
    },
  };
}

export type TriggerService = ReturnType<typeof createTriggerService>;
