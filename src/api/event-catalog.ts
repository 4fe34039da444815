/**
 * Every event type a stream carries, who receives it and what its payload holds: the one list the OpenAPI
 * document and the README describe. `org` says whose stream gets it: an org's (with its org) or only
 * platform tokens' (org null).
 */
export interface EventTypeDoc {
  type: string;
  org: 'own' | 'platform' | 'own-or-platform';
  description: string;
  payload: Record<string, unknown>;
}

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const revision = { type: 'string', description: 'commit id of the revision' } as const;
const source = { type: 'object', properties: { path: str, line: int }, description: 'file (and line) of the document in the config repo' };
const errorLines = { type: 'array', items: { type: 'string', description: '`path:line:column: CODE message`' } };

const resourcePayload = (extra: Record<string, unknown> = {}) => ({
  type: 'object', required: ['revision'], properties: { revision, previousRevision: revision, source, ...extra },
});
const syncShare = {
  type: 'object',
  required: ['revision', 'outcome'],
  properties: {
    revision, outcome: { enum: ['Succeeded', 'Failed', 'PartiallyApplied'] }, created: int, changed: int, deleted: int, errorCount: int,
    counts: { type: 'object', additionalProperties: int, description: 'platform event only: objects applied, pruned, skipped, ...' },
    errors: { type: 'array', items: { type: 'object', properties: { code: str, message: str } } },
  },
};

export const EVENT_TYPES: readonly EventTypeDoc[] = [
  {
    type: 'SyncStarted', org: 'own-or-platform',
    description: 'A pass began (platform tokens, org null, as it begins). Each org with a share of the pass gets its own SyncStarted first, before its resource events and its outcome.',
    payload: { type: 'object', required: ['revision'], properties: { revision, startedAt: { type: 'string', format: 'date-time' } } },
  },
  { type: 'ResourceCreated', org: 'own-or-platform', description: 'A config resource appeared in the applied revision (kind, namespace, name of the event).', payload: resourcePayload() },
  { type: 'ResourceChanged', org: 'own-or-platform', description: 'A config resource changed content in the applied revision.', payload: resourcePayload() },
  { type: 'ResourceDeleted', org: 'own-or-platform', description: 'A config resource left the applied revision (its objects are pruned).', payload: resourcePayload() },
  {
    type: 'SyncSucceeded', org: 'own-or-platform',
    description: 'A pass applied a revision. Org streams get it when their resources changed or their files had errors at the last refused revision, with their counts; platform tokens get every pass with org null.',
    payload: syncShare,
  },
  {
    type: 'SyncFailed', org: 'own-or-platform',
    description: 'A pass left objects failing. Each org whose objects failed gets its own errors; platform tokens get the whole pass.',
    payload: syncShare,
  },
  {
    type: 'ValidationFailed', org: 'own-or-platform',
    description: 'A revision was refused (nothing applied). Each org gets the errors in its files (orgs/<org>/... or files its documents lived in); platform tokens get all.',
    payload: { type: 'object', required: ['revision', 'errors'], properties: { revision, errorCount: int, errors: errorLines } },
  },
  {
    type: 'ResourceStatusChanged', org: 'own-or-platform',
    description: 'The persisted status of a config resource changed (kind, namespace, name of the event), in the same transaction as the status: as a pass applies its objects or between passes (health, readiness), so not bracketed by a pass\'s SyncStarted.',
    payload: { type: 'object', required: ['phase'], properties: { revision, phase: str, ready: { enum: ['True', 'False', 'Unknown'] }, health: { type: 'string', description: 'worst health of its objects' } } },
  },
  {
    type: 'PruneSkipped', org: 'platform', description: 'Objects kept on prune (kradle.a5c.ai/prune: disabled).',
    payload: { type: 'object', properties: { revision, reason: str, kept: { type: 'array', items: { type: 'object' } } } },
  },
  {
    type: 'ADDED', org: 'own', description: 'A runtime record was created (kind, namespace, name, resourceVersion of the event).',
    payload: { type: 'object', description: 'the record as stored' },
  },
  { type: 'MODIFIED', org: 'own', description: 'A runtime record changed (an approval decided, a run advanced, ...).', payload: { type: 'object', description: 'the record as stored' } },
  { type: 'DELETED', org: 'own', description: 'A runtime record was deleted.', payload: { type: 'object', description: 'the record as it was' } },
  {
    type: 'RUN_*', org: 'own', description: 'Agent dispatch run lifecycle: RUN_CREATED, RUN_QUEUED, RUN_STARTED, RUN_COMPLETED, RUN_FAILED',
    payload: { type: 'object', properties: { runId: str, phase: str, reason: str } },
  },
  {
    type: 'APPROVAL_*', org: 'own', description: 'APPROVAL_REQUESTED, APPROVAL_GRANTED, APPROVAL_DENIED for agent approvals.',
    payload: { type: 'object', properties: { runId: str, approvalRef: str, action: str, requestedBy: str, decidedBy: str, reason: str } },
  },
  { type: 'STEP_*', org: 'own', description: 'STEP_STARTED, STEP_COMPLETED reported by a running agent.', payload: { type: 'object', properties: { runId: str, stepKind: str, stepId: str, toolName: str, durationMs: int } } },
  {
    type: 'MEMORY_IMPORT_*', org: 'own', description: 'Memory import phases: MEMORY_IMPORT_COLLECTED ... MEMORY_IMPORT_AWAITING_REVIEW, _APPROVED, _MERGED, _REJECTED.',
    payload: { type: 'object', properties: { phase: str } },
  },
  { type: 'StackReadiness', org: 'own', description: 'An AgentStack readiness condition changed.', payload: { type: 'object', properties: { conditions: { type: 'array', items: { type: 'object' } } } } },
  {
    type: 'NOTIFICATION', org: 'own', description: 'A notification was recorded for someone of the org (kind Notification, name its id).',
    payload: { type: 'object', properties: { id: int, recipient: str, type: str, severity: str, title: str, resource: { type: ['object', 'null'], properties: { kind: str, name: str } } } },
  },
  { type: 'GitObjectRecorded', org: 'own', description: 'A git object recorded through the repository objects route.', payload: { type: 'object' } },
  { type: 'SearchIndexRequested', org: 'own', description: 'A repository search index request was queued.', payload: { type: 'object' } },
];

/** Stream control messages: sent without an id, so they never move Last-Event-ID. */
export const CONTROL_MESSAGES = [
  { type: 'connected', description: 'first message of every stream (unnamed: onmessage gets it)' },
  { type: 'reset', description: 'the Last-Event-ID sent is beyond the newest event (a restored database): every kept event follows' },
] as const;
