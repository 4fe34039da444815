import type { ErrorDetail } from '../errors/index.ts';
import type { FileEdit, WriteEdit } from './types.ts';
import { documentLines, editIdentity } from './yaml-edit.ts';

/**
 * The warnings of a revision about the documents a write put in it (a delete writes none). A warning names a file
 * and a line, and a file may hold documents the write did not touch: only the lines of a written document count.
 * The edits' files are parsed again only when the revision warns about them.
 */
export function writtenWarnings(warnings: readonly ErrorDetail[], edits: readonly WriteEdit[], files: readonly FileEdit[]): ErrorDetail[] {
  if (warnings.length === 0) return [];
  const warned = new Set(warnings.map((w) => w.path));
  // A later edit of the same file sees the text an earlier one made: the last text of a file is the one committed.
  const final = new Map(files.map((f) => [f.path, f.text]));
  const spans = new Map<string, { from: number; to: number }[]>();
  edits.forEach((edit, i) => {
    const path = files[i]!.path;
    const text = final.get(path);
    if (edit.op !== 'upsert' || !text || !warned.has(path)) return;
    const span = documentLines(text, editIdentity(edit));
    if (span) (spans.get(path) ?? spans.set(path, []).get(path)!).push(span);
  });
  if (spans.size === 0) return [];
  return warnings.filter((w) => spans.get(w.path!)?.some((s) => (w.line ?? 1) >= s.from && (w.line ?? 1) < s.to));
}
