import { ForbiddenError, WaitingError } from '../../errors/index.ts';
import type { StoredResource } from '../../store/types.ts';
import { readMemoryFiles, resolveMemoryRef } from '../../writeback/memory/index.ts';
import { PII_RULES, SECRET_RULES, redactText } from '../redaction.ts';
import { refName, systemClock } from '../refs.ts';
import { entryFile, normalizeEntries, termsOf, type MemoryEntry, type NormalizedEntry } from './import-entries.ts';
import { DEFAULT_CONFIDENCE_THRESHOLD, reviewerHint, validateImport, type ImportValidation } from './import-validate.ts';
import { findMemoryRepo, ontologyFor, openRepo, stateOf, type MemoryDeps } from './context.ts';
import { graphOf, MEMORY_ROOT, parseStructured } from './ontology.ts';
import { proposeMemoryUpdate } from './update.ts';

export const IMPORT_KIND = 'AgentRunMemoryImport';
export const IMPORT_PHASES = ['Collected', 'Redacting', 'Normalizing', 'Validating', 'AwaitingReview', 'Approved', 'Rejected', 'Merged'] as const;
export type ImportPhase = (typeof IMPORT_PHASES)[number];
/** Phases the controller does not move on its own: terminal ones, and the one waiting for a human. */
export const RESTING_PHASES: readonly ImportPhase[] = ['AwaitingReview', 'Rejected', 'Merged'];

export interface RedactedField {
  path: string;
  line: number;
  rule: string;
  masked: string;
}

/** What one step decides: the next phase and the §8.3 fields it adds. */
export interface StepResult {
  phase: ImportPhase;
  fields: Record<string, unknown>;
}

type Step = (deps: MemoryDeps, org: string, imp: StoredResource) => Promise<StepResult>;

const now = (deps: MemoryDeps) => (deps.clock ?? systemClock).now().toISOString();
const entriesOf = (imp: StoredResource, field: 'rawEntries' | 'redactedEntries') => (imp.status[field] ?? []) as MemoryEntry[];

/** Masks every string of an entry (credentials and, with pii, personal data); findings are JSON-pointer paths. */
export function redactEntries(entries: readonly MemoryEntry[], pii: boolean): { entries: MemoryEntry[]; fields: RedactedField[] } {
  const fields: RedactedField[] = [];
  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === 'string') {
      const r = redactText(v, { secrets: true, pii });
      fields.push(...r.findings.map((f) => ({ path, line: f.line, rule: f.rule, masked: f.masked })));
      return r.text;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}/${i}`));
    if (v && typeof v === 'object') {
      // Keys are text an agent chose too: a credential used as a key is masked like a value, and the
      // finding's path names the masked key, never the original.
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const r = redactText(k, { secrets: true, pii });
        let key = r.text;
        for (let n = 2; key !== k && Object.hasOwn(out, key); n++) key = `${r.text}-${n}`;
        fields.push(...r.findings.map((f) => ({ path: `${path}/${key}`, line: f.line, rule: f.rule, masked: f.masked })));
        out[key] = walk(x, `${path}/${key}`);
      }
      return out;
    }
    return v;
  };
  return { entries: entries.map((e, i) => walk(e, `/entries/${i}`) as MemoryEntry), fields };
}

/**
 * Collected -> Redacting: intake already masked credentials and personal data (so none ever reaches the
 * store); this pass records what was masked and re-checks the entries with every rule, masking any leftover.
 */
const redact: Step = async (_deps, _org, imp) => {
  const { entries, fields } = redactEntries(entriesOf(imp, 'rawEntries'), true);
  const intake = (imp.status.intakeRedactions ?? []) as RedactedField[];
  return { phase: 'Redacting', fields: { redactedFields: [...intake, ...fields], redactionRules: [...SECRET_RULES, ...PII_RULES], redactedEntries: entries } };
};

async function headFiles(deps: MemoryDeps, org: string, imp: StoredResource) {
  const repo = await openRepo(deps, org, refName(imp.spec.memoryRepository));
  const head = await resolveMemoryRef(repo.gitdir, repo.defaultBranch);
  const files = await readMemoryFiles(repo.gitdir, head, MEMORY_ROOT);
  return { repo, head, files };
}

/** Redacting -> Normalizing: entries become files of the layout, deduped against the repository head. */
const normalize: Step = async (deps, org, imp) => {
  const entries = entriesOf(imp, 'redactedEntries');
  const { head, files } = await headFiles(deps, org, imp);
  const normalized = normalizeEntries(entries, new Map(files.map((f) => [f.path, f.content])));
  const count = (d: NormalizedEntry['dedupe']) => normalized.filter((n) => n.dedupe === d).length;
  return {
    phase: 'Normalizing',
    fields: {
      baseCommit: head,
      normalizedEntries: normalized.map(({ content: _c, ...n }) => n),
      ontologyTerms: termsOf(entries),
      deduplicationResults: { new: count('new'), update: count('update'), duplicate: count('duplicate') },
    },
  };
};

function knownNodes(files: { path: string; content: string }[]): Set<string> {
  const ids = new Set<string>();
  for (const f of files.filter((x) => x.path.startsWith(`${MEMORY_ROOT}/graph/`) && /\.(ya?ml|json)$/i.test(x.path))) {
    try {
      for (const n of graphOf(parseStructured(f.path, f.content)).nodes) if (typeof n.id === 'string') ids.add(n.id);
    } catch {
      // An unreadable graph file resolves nothing; the ontology check reports it when it is changed.
    }
  }
  return ids;
}

/** The auto-approve threshold: the import's spec.confidenceThreshold, else its repository's, else the default. */
export function thresholdOf(deps: MemoryDeps, org: string, imp: StoredResource): number {
  const own = imp.spec.confidenceThreshold;
  if (typeof own === 'number') return own;
  const repo = stateOf(deps).get('AgentMemoryRepository', org, String(refName(imp.spec.memoryRepository)));
  const fromRepo = repo?.object.spec.confidenceThreshold;
  return typeof fromRepo === 'number' ? fromRepo : DEFAULT_CONFIDENCE_THRESHOLD;
}

/** Normalizing -> Validating: ontology checks, cross-references and confidence per entry. */
const validate: Step = async (deps, org, imp) => {
  const entries = entriesOf(imp, 'redactedEntries');
  const { repo, files } = await headFiles(deps, org, imp);
  const base = String(imp.status.baseCommit);
  const normalized = normalizeEntries(entries, new Map()).map((n, i) => ({ ...n, dedupe: (imp.status.normalizedEntries as NormalizedEntry[])[i]!.dedupe }));
  const redacted = new Set(((imp.status.redactedFields ?? []) as RedactedField[]).map((f) => Number(f.path.split('/')[2])));
  const threshold = thresholdOf(deps, org, imp);
  const v = validateImport({ entries, normalized, ontology: await ontologyFor(deps, repo, base), knownNodes: knownNodes(files), redacted, threshold });
  return { phase: 'Validating', fields: { validationErrors: v.validationErrors, confidenceScores: v.confidenceScores, crossRefResults: v.crossRefResults, confidenceThreshold: threshold, validation: v } };
};

/** Validating -> Approved (every entry passed with confidence >= threshold) | AwaitingReview. */
const decide: Step = async (deps, _org, imp) => {
  const v = imp.status.validation as ImportValidation;
  if (v.autoApprove) return { phase: 'Approved', fields: { approvedBy: 'kradle-auto', approvedAt: now(deps), approvalNotes: `auto-approved: every entry passed with confidence >= ${String(imp.status.confidenceThreshold)}` } };
  return { phase: 'AwaitingReview', fields: { reviewRequestedAt: now(deps), reviewerHint: reviewerHint(v), flaggedEntries: v.flaggedEntries } };
};

/**
 * Approved -> Merged: the entries that are new or changed and pass the ontology become one memory commit
 * through the memory update path (branch kradle/agent-memory/<source>, digest dedupe makes a retry a no-op);
 * with nothing new to write it is Approved -> Rejected, never Merged without a commit.
 */
const merge: Step = async (deps, org, imp) => {
  const entries = entriesOf(imp, 'redactedEntries');
  const invalid = new Set(((imp.status.validationErrors ?? []) as { field?: string }[]).map((d) => Number(d.field?.split('/')[2])));
  const normalized = (imp.status.normalizedEntries ?? []) as NormalizedEntry[];
  const keep = normalized.filter((n) => n.dedupe !== 'duplicate' && !invalid.has(n.index));
  const repo = findMemoryRepo(deps, org, refName(imp.spec.memoryRepository));
  const base = { mergedAt: now(deps), repositoryRef: repo.name, createdAssociations: [], mergedEntryCount: keep.length, skippedEntryCount: entries.length - keep.length };
  // Merged means a memory commit exists: with every entry already in memory or invalid there is nothing to
  // commit, so the import ends Rejected with the reason instead of claiming a merge that wrote nothing.
  if (!keep.length) {
    const failed = normalized.filter((n) => invalid.has(n.index)).length;
    const reason = `nothing to merge: ${entries.length - failed} entries are already in ${repo.name} at ${String(imp.status.baseCommit).slice(0, 12)}, ${failed} failed validation`;
    return { phase: 'Rejected', fields: { rejectedBy: 'kradle', rejectedAt: now(deps), rejectionReason: reason, repositoryRef: repo.name, mergedEntryCount: 0, skippedEntryCount: entries.length } };
  }
  const changes = keep.map((n) => entryFile(entries[n.index]!));
  const source = String(refName(imp.spec.source) ?? imp.metadata.name);
  const update = await proposeMemoryUpdate(deps, org, { memoryRepository: repo.name, sourceRun: source, changes });
  if (update.status.phase === 'AwaitingApproval') throw new WaitingError(`memory update ${update.metadata.name} waits for write-back approval ${String(update.status.approvalRef)}`);
  if (update.status.phase === 'Rejected') throw new ForbiddenError(`memory update ${update.metadata.name} was rejected: ${String(update.status.reason)}`);
  if (typeof update.status.commit !== 'string') throw new Error(`memory update ${update.metadata.name} is still being committed`);
  return { phase: 'Merged', fields: { ...base, branch: update.status.branch, commit: update.status.commit, memoryUpdateRef: update.metadata.name } };
};

/** The automatic step out of each phase; resting phases have none. */
export const STEPS: Partial<Record<ImportPhase, Step>> = { Collected: redact, Redacting: normalize, Normalizing: validate, Validating: decide, Approved: merge };
