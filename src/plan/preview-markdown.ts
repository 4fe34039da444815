import type { ErrorDetail } from '../errors/index.ts';
import type { FieldChange } from './field-diff.ts';
import type { Preview, PreviewChange, PreviewObject, PreviewResource } from './preview.ts';

/** Forges cap a comment at 65,536 characters; the rest is headroom for the forge's own markup. */
export const COMMENT_LIMIT = 60_000;
/** The hidden line that finds Kradle's own comment again, to update it in place on each push. */
export const PREVIEW_MARKER = '<!-- kradle-preview -->';

export interface MarkdownOptions {
  /** The address of a file at the head commit, when the forge is known; errors and resources link to it. */
  fileUrl?: (path: string, line: number) => string;
  /** Characters the whole comment may take (default COMMENT_LIMIT). */
  limit?: number;
}

const OPEN_UP_TO = 10;
const VALUE_MAX = 80;
const ACTION_WORD: Record<PreviewObject['action'], string> = { create: 'creates', change: 'changes', prune: 'prunes', keep: 'keeps (prune disabled)' };

/** Inline code that survives any content: the fence is longer than any run of backticks inside. */
function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const short = (v: unknown) => {
  if (v === undefined) return '';
  const s = JSON.stringify(v);
  return s.length > VALUE_MAX ? `${s.slice(0, VALUE_MAX - 1)}…` : s;
};
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
const objectName = (o: PreviewObject) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;

function where(path: string, line: number, column: number | undefined, opts: MarkdownOptions): string {
  const text = `${path}:${line}${column === undefined ? '' : `:${column}`}`;
  return opts.fileUrl ? `[${code(text)}](${opts.fileUrl(path, line)})` : code(text);
}

/** An error or a warning: where (linked), its code, its message. */
function detailLine(e: ErrorDetail, opts: MarkdownOptions): string {
  const at = e.path ? `${where(e.path, e.line ?? 1, e.column ?? 1, opts)} ` : '';
  return `- ${at}${code(e.code)} ${cell(e.message)}`;
}

function objectLines(objects: PreviewObject[]): string[] {
  return objects.map((o) => `  - ${ACTION_WORD[o.action]} ${code(objectName(o))}`);
}

/** A deleted resource's file exists only at base: it is named, not linked to head. */
function resourceTitle(r: PreviewResource, opts: MarkdownOptions, atHead = true): string {
  const owner = r.org ? `${r.org}/` : '';
  return `**${r.kind}** ${code(owner + r.name)} in ${where(r.path, r.line, undefined, atHead ? opts : {})}`;
}

function changeRow(c: FieldChange): string {
  return `| ${code(c.pointer)} | ${c.op === 'add' ? '' : code(cell(short(c.from)))} | ${c.op === 'remove' ? '' : code(cell(short(c.to)))} |`;
}

function changedBlock(c: PreviewChange, opts: MarkdownOptions): string {
  return [
    `- ${resourceTitle(c, opts)}: ${plural(c.changes.length, 'field')} changed`,
    '',
    '  | field | before | after |',
    '  |---|---|---|',
    ...c.changes.map((row) => `  ${changeRow(row)}`),
    '',
    ...objectLines(c.objects),
  ].join('\n');
}

/** A section of items that stops before the limit, saying how many it left out. */
function section(title: string, items: string[], budget: { left: number }): string {
  if (!items.length) return '';
  const open = items.length <= OPEN_UP_TO ? ' open' : '';
  const head = `<details${open}><summary><b>${title} (${items.length})</b></summary>\n\n`;
  const tail = '\n</details>\n';
  let body = '';
  let shown = 0;
  for (const item of items) {
    // Room is kept for this section's tail and one "and N more" line.
    if (head.length + body.length + item.length + tail.length + 80 > budget.left) break;
    body += `${item}\n`;
    shown++;
  }
  if (shown < items.length) body += `\n_… and ${items.length - shown} more not shown (run \`kradle diff\` for the full plan)_\n`;
  const out = head + body + tail;
  budget.left -= out.length;
  return out;
}

/**
 * The preview as a pull-request comment: a summary line, errors then warnings as path:line:col (linked when the
 * forge is known), then created, changed (a field table) and deleted resources with the objects each creates, changes,
 * prunes or keeps; long sections collapsed, and the whole cut at the limit with a count of what was left out.
 */
export function previewMarkdown(p: Preview, opts: MarkdownOptions = {}): string {
  const rev = (r: string | null) => (r ? code(r.slice(0, 12)) : '(none)');
  const counts = `${p.created.length} created, ${p.changed.length} changed, ${p.deleted.length} deleted, ${p.unchanged} unchanged`;
  const summary = p.valid
    ? `### ✅ Kradle preview: valid — ${counts}`
    : `### ❌ Kradle preview: invalid — ${plural(p.errors.length, 'error')}, nothing would be applied`;
  const lines = [PREVIEW_MARKER, summary, '', `${rev(p.baseRevision)} (${cell(p.base)}) → ${rev(p.headRevision)} (${cell(p.head)})`, ''];
  if (p.valid && !p.baseValid) lines.push('> The base revision does not validate: every resource of head is shown as created.', '');
  const budget = { left: (opts.limit ?? COMMENT_LIMIT) - lines.join('\n').length };
  const parts = [
    section('Errors', p.errors.map((e) => detailLine(e, opts)), budget),
    section('Warnings', p.warnings.map((w) => detailLine(w, opts)), budget),
    section('Created', p.created.map((r) => [`- ${resourceTitle(r, opts)}`, ...objectLines(r.objects)].join('\n')), budget),
    section('Changed', p.changed.map((c) => changedBlock(c, opts)), budget),
    section('Deleted', p.deleted.map((r) => [`- ${resourceTitle(r, opts, false)} (at base)`, ...objectLines(r.objects)].join('\n')), budget),
  ].filter(Boolean);
  if (p.valid && !p.created.length && !p.changed.length && !p.deleted.length) parts.push('No resource changes.\n');
  return `${lines.join('\n')}${parts.join('\n')}`;
}
