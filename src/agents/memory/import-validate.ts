import type { ErrorDetail } from '../../errors/index.ts';
import type { MemoryEntry, NormalizedEntry } from './import-entries.ts';
import { checkMemoryFile, type Ontology } from './ontology.ts';

/** Auto-approve threshold when neither the import nor its AgentMemoryRepository sets `confidenceThreshold`. */
export const DEFAULT_CONFIDENCE_THRESHOLD = 0.8;
/** The agent's confidence when it gives none: below the default threshold, so unscored facts are reviewed. */
export const UNSCORED_CONFIDENCE = 0.75;

export interface FlaggedEntry {
  index: number;
  id: string;
  reasons: string[];
}

export interface ImportValidation {
  validationErrors: ErrorDetail[];
  confidenceScores: Record<string, number>;
  crossRefResults: { index: number; from: string; to: string; fromResolved: boolean; toResolved: boolean }[];
  flaggedEntries: FlaggedEntry[];
  /** True when every entry passed with confidence >= threshold and nothing is novel or sensitive. */
  autoApprove: boolean;
}

export interface ValidationInput {
  entries: readonly MemoryEntry[];
  normalized: readonly NormalizedEntry[];
  ontology: Ontology;
  /** Node ids the repository holds at its head. */
  knownNodes: ReadonlySet<string>;
  /** Indexes of entries the redaction pass masked something in (sensitive content). */
  redacted: ReadonlySet<number>;
  threshold: number;
}

function novelTerms(e: MemoryEntry, o: Ontology): string[] {
  if (e.type === 'entity' && e.kind && o.vocabulary.length && !o.vocabulary.includes(e.kind)) return [`novel node kind ${e.kind}`];
  if (e.type === 'relationship' && e.kind && o.edgeKinds.length && !o.edgeKinds.includes(e.kind)) return [`novel edge kind ${e.kind}`];
  return [];
}

/**
 * §8 Validating: ontology checks of each entry's file, cross-references of relationships against the
 * graph at head plus this import's entities, and a confidence per entry: the agent's own (or
 * UNSCORED_CONFIDENCE), 0 when the entry fails validation, halved when a reference does not resolve or
 * when redaction masked something in it. Pure.
 */
export function validateImport(input: ValidationInput): ImportValidation {
  const nodes = new Set([...input.knownNodes, ...input.entries.filter((e) => e.type === 'entity').map((e) => e.id)]);
  const out: ImportValidation = { validationErrors: [], confidenceScores: {}, crossRefResults: [], flaggedEntries: [], autoApprove: true };
  for (const n of input.normalized) {
    const e = input.entries[n.index]!;
    const reasons: string[] = [];
    const errors = checkMemoryFile(n.path, n.content, input.ontology).map((d) => ({ ...d, field: `/entries/${n.index}${d.field ?? ''}` }));
    out.validationErrors.push(...errors);
    let score = e.confidence ?? UNSCORED_CONFIDENCE;
    if (errors.length) {
      score = 0;
      reasons.push(...errors.map((d) => `${d.code}: ${d.message}`));
    }
    if (e.type === 'relationship') {
      const ref = { index: n.index, from: e.from!, to: e.to!, fromResolved: nodes.has(e.from!), toResolved: nodes.has(e.to!) };
      out.crossRefResults.push(ref);
      if (!ref.fromResolved || !ref.toResolved) {
        score /= 2;
        reasons.push(`unresolved reference ${!ref.fromResolved ? e.from : e.to}`);
      }
    }
    if (input.redacted.has(n.index)) {
      score /= 2;
      reasons.push('redaction masked sensitive content');
    }
    reasons.push(...novelTerms(e, input.ontology));
    score = Math.round(score * 1000) / 1000;
    out.confidenceScores[String(n.index)] = score;
    if (score < input.threshold) reasons.push(`confidence ${score} < ${input.threshold}`);
    if (reasons.length) out.flaggedEntries.push({ index: n.index, id: n.id, reasons: [...new Set(reasons)] });
  }
  out.autoApprove = out.flaggedEntries.length === 0;
  return out;
}

/** One sentence for the reviewer: what to look at first. */
export function reviewerHint(v: ImportValidation): string {
  const failing = v.flaggedEntries.length;
  const invalid = new Set(v.validationErrors.map((d) => d.field?.split('/')[2])).size;
  return `${failing} entr${failing === 1 ? 'y needs' : 'ies need'} review` + (invalid ? `; ${invalid} fail the ontology and will not be merged` : '');
}
