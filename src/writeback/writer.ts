import { randomUUID } from 'node:crypto';
import { atomicFs } from './atomic-fs.ts';
import git from 'isomorphic-git';
import { BadRequestError, ConflictError, ValidationError, type ErrorDetail } from '../errors/index.ts';
import type { Snapshot } from '../source/types.ts';
import { commitIdent } from './git-ident.ts';
import { createTreeLister, rewriteTree, type GitContext } from './git-tree.ts';
import { conventionalPath, type ResourceIdentity } from './identity.ts';
import { createLocator } from './locator.ts';
import { withGitdirLock } from './mutex.ts';
import { compareAndSwapRef, readRef, type ReflogEntry } from './ref-cas.ts';
import { checkRefName } from './ref-name.ts';
import { ensureRepo, fetchBranch, pushCommit, remoteTarget } from './remote.ts';
import { createHints } from './hints.ts';
import { createWorktreeGuard } from './worktree-guard.ts';
import type { ConfigFile, ConfigWriter, ConfigWriterOptions, FileEdit, WriteEdit, WriteManyRequest, WriteManyResult } from './types.ts';
import { applyEdit, documentFingerprint, editIdentity } from './yaml-edit.ts';
import { writtenWarnings } from './written-warnings.ts';

const PR_PREFIX = 'kradle/write/';
const DEEPEN = 200;
const BRANCH_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Outcome of one attempt: done, or the tip moved (ref or remote) and the edit must be redone. */
type Attempt = { done: WriteManyResult & { edits: FileEdit[] } } | { retry: true };
type Batch = Omit<WriteManyRequest, 'id'>;

/**
 * Writes config resources as commits on the config repo: edit the YAML, validate the resulting
 * revision, commit without the index, then move the branch by compare-and-swap (local) or push
 * (remote), redoing the edit on the new tip when someone else got there first.
 */
export function createConfigWriter(opts: ConfigWriterOptions): ConfigWriter {
  const ctx: GitContext = { fs: opts.fs ?? atomicFs, gitdir: opts.gitdir, cache: opts.cache ?? {}, trees: new Map() };
  const dir = (opts.dir ?? '').replace(/^\/+|\/+$/g, '');
  const lister = createTreeLister(ctx);
  const locator = createLocator(ctx);
  const maxAttempts = opts.maxAttempts ?? 5;
  const target = opts.remote ? remoteTarget(opts.remote) : undefined;
  const hints = createHints(opts.locate, dir);
  const worktrees = target ? undefined : createWorktreeGuard(ctx.fs, ctx.gitdir, ctx.cache);

  async function tipOf(): Promise<string | null> {
    if (!target) {
      const tip = await readRef(ctx.fs, ctx.gitdir, `refs/heads/${opts.branch}`);
      if (tip === null) await refuseUnlessEmpty();
      return tip;
    }
    await ensureRepo(ctx, target);
    return fetchBranch(ctx, target, opts.branch);
  }

  /**
   * The tracked ref names no branch: a tag or commit id given as --ref, or a detached HEAD ('HEAD'). A commit
   * there would start an orphan branch of that name (refs/heads/v1 beside tag v1, or refs/heads/HEAD) holding
   * nothing but the written file, which the sync never reads. Only a repository without commits gets its first
   * branch from a write.
   */
  async function refuseUnlessEmpty(): Promise<void> {
    const refs = { fs: ctx.fs, gitdir: ctx.gitdir };
    if (opts.branch !== 'HEAD' && (await git.listBranches(refs)).length === 0 && (await git.listTags(refs)).length === 0) return;
    const what = opts.branch === 'HEAD' ? 'a detached HEAD' : `${opts.branch}, which is not a branch of the config repo`;
    throw new ConflictError(`the config repo is served at ${what}: writes are commits on a branch (serve one, e.g. --ref main)`, {
      details: [{ code: 'NOT_A_BRANCH', message: `no branch ${opts.branch} to commit on`, field: 'ref' }],
    });
  }

  async function treeOf(commit: string | null): Promise<string | undefined> {
    return commit ? (await git.readCommit({ ...ctx, oid: commit })).commit.tree : undefined;
  }

  async function fingerprintAt(commit: string | null, id: ResourceIdentity, guess: string | undefined) {
    const tree = await treeOf(commit);
    if (!tree) return undefined;
    const files = await locator.candidates(await lister.list(tree, dir), id, guess);
    return documentFingerprint(files, id);
  }

  async function checkIfMatch(req: Batch, tip: string | null, id: ResourceIdentity, guess: string | undefined) {
    if (!req.expectedRevision || req.expectedRevision === tip) return;
    const expected = await knownCommit(req.expectedRevision);
    if (expected === tip) return;
    if ((await fingerprintAt(expected, id, guess)) !== (await fingerprintAt(tip, id, guess))) {
      throw new ConflictError(`${id.kind} ${id.name} changed since revision ${req.expectedRevision.slice(0, 12)}`);
    }
  }

  /** Resolves the revision the client read; a shallow cache is deepened once to find it. */
  async function knownCommit(rev: string): Promise<string> {
    // An id of a blob or tree expands too, but only a commit is a revision a client could have read.
    const isCommit = (oid: string) => git.readCommit({ ...ctx, oid }).then(() => true, () => false);
    const expand = async () => {
      const oid = await git.expandOid({ ...ctx, oid: rev }).catch(() => undefined);
      return oid && (await isCommit(oid)) ? oid : undefined;
    };
    let oid = await expand();
    if (!oid && target) {
      await fetchBranch(ctx, target, opts.branch, DEEPEN);
      oid = await expand();
    }
    if (!oid) throw new ConflictError(`revision ${rev} is unknown; read the resource again`);
    return oid;
  }

  function snapshotOf(revision: string, files: Snapshot['files']): Snapshot {
    return { revision, files, readBlob: async (oid) => (await git.readBlob({ ...ctx, oid })).blob };
  }

  /** A new commit of the changes on the tip, validated; the revision's warnings go with it. */
  async function commitChanges(req: Batch, tip: string | null, changes: Map<string, string | null>, message: string) {
    const baseTree = await treeOf(tip);
    const blobs = new Map<string, string | null>();
    for (const [path, text] of changes) blobs.set(path, text === null ? null : await git.writeBlob({ ...ctx, blob: new TextEncoder().encode(text) }));
    const tree = await rewriteTree(ctx, baseTree, blobs);
    const who = commitIdent(req.actor);
    // The commit object exists before validation so the snapshot carries its real revision; an
    // unreferenced object is all a rejected write leaves behind.
    const commit = await git.writeCommit({ ...ctx, commit: { message: `${message.trimEnd()}\n`, tree, parent: tip ? [tip] : [], author: who, committer: who } });
    const { errors, warnings } = await opts.validate(snapshotOf(commit, await lister.list(tree, dir)));
    if (errors.length) throw new ValidationError(`the write would make the config repo invalid (${errors.length} error${errors.length > 1 ? 's' : ''})`, { details: errors });
    return { commit, warnings };
  }

  /**
   * The warnings of the tip, for a write that changed nothing: the documents it names are as written and ignore
   * the same fields, which the caller hears about on every write, as kubectl's users do.
   */
  async function tipWarnings(tip: string): Promise<readonly ErrorDetail[]> {
    return (await opts.validate(snapshotOf(tip, await lister.list((await treeOf(tip))!, dir)))).warnings;
  }

  /** Applies the edits in order on the tip's files; later edits see the text earlier ones produced. */
  async function editFiles(edits: readonly WriteEdit[], tip: string | null): Promise<{ changes: Map<string, string | null>; results: FileEdit[] }> {
    const tree = await treeOf(tip);
    const all = tree ? await lister.list(tree, dir) : [];
    const changes = new Map<string, string | null>();
    const results: FileEdit[] = [];
    for (const e of edits) {
      const id = editIdentity(e);
      const guess = e.op === 'upsert' ? conventionalPath(e.resource, dir) : undefined;
      const found = await locator.candidates(all, id, guess, hints.hintFor(id, tip));
      const files: ConfigFile[] = [...changes].flatMap(([path, text]) => (text === null ? [] : [{ path, text }]));
      for (const f of found) if (!changes.has(f.path)) files.push(f);
      const edit = applyEdit(files, e, { dir });
      if (!edit.unchanged) changes.set(edit.path, edit.text);
      results.push(edit);
    }
    return { changes, results };
  }

  async function publish(ref: string, expected: string | null, commit: string, branch: string, written: readonly string[], log: ReflogEntry): Promise<boolean> {
    if (target) return (await pushCommit(ctx, target, commit, branch)) === 'pushed';
    const tree = await worktrees?.check(ref, written);
    try {
      const moved = await compareAndSwapRef(ctx.fs, ctx.gitdir, `refs/heads/${ref}`, expected, commit, log);
      if (moved && tree) await worktrees!.follow(tree, ref, written);
      return moved;
    } finally {
      await tree?.release();
    }
  }

  async function attempt(req: Batch, prBranch: string | undefined): Promise<Attempt> {
    const tip = await tipOf();
    for (const e of req.edits) {
      const id = editIdentity(e);
      await checkIfMatch(req, tip, id, e.op === 'upsert' ? conventionalPath(e.resource, dir) : undefined);
    }
    const { changes, results } = await editFiles(req.edits, tip);
    const items = results.map((r) => ({ path: r.path, created: r.created, changed: !r.unchanged }));
    if (changes.size === 0) {
      const warnings = writtenWarnings(await tipWarnings(tip!), req.edits, results);
      return { done: { branch: opts.branch, commit: tip!, changed: false, items, warnings, edits: results } };
    }
    const branch = prBranch ?? opts.branch;
    const message = req.message ?? defaultMessage(req, results);
    const { commit, warnings: all } = await commitChanges(req, tip, changes, message);
    const warnings = writtenWarnings(all, req.edits, results);
    const log = { ...commitIdent(req.actor), message: `commit: ${message}` };
    if (await publish(branch, prBranch ? null : tip, commit, branch, [...changes.keys()], log)) {
      if (!prBranch) hints.remember(commit, tip, req.edits.map(editIdentity));
      return { done: { branch, commit, changed: true, items, warnings, edits: results } };
    }
    if (prBranch) throw new ConflictError(`branch ${prBranch} already exists`);
    return { retry: true };
  }

  async function run(req: Batch & { id?: string }) {
    if (req.edits.length === 0) throw new BadRequestError('nothing to write: no edits');
    const prBranch = req.mode === 'pull-request' ? PR_PREFIX + prId(req.id) : undefined;
    return withGitdirLock(ctx.gitdir, async () => {
      for (let i = 0; i < maxAttempts; i++) {
        const outcome = await attempt(req, prBranch);
        if ('done' in outcome) return outcome.done;
      }
      throw new ConflictError(`${opts.branch} kept moving: the write was not applied after ${maxAttempts} attempts`);
    });
  }

  return {
    async write(req) {
      const out = await run({ ...req, edits: [req.edit] });
      const edit = out.edits[0]!;
      // An edit that changes nothing reports the tracked branch: nothing was written anywhere.
      return { commit: out.commit, branch: out.changed ? out.branch : opts.branch, path: edit.path, created: edit.created && out.changed, changed: out.changed, warnings: out.warnings };
    },
    async writeMany(req) {
      const { edits: _files, ...out } = await run(req);
      return out;
    },
  };
}

function prId(id: string | undefined): string {
  if (id === undefined) return randomUUID().slice(0, 8);
  if (!BRANCH_ID.test(id)) throw new BadRequestError(`invalid pull-request branch id ${JSON.stringify(id)}`);
  // `..` and a `.lock` ending are refused by git (`x.lock` is the lock of branch `x`).
  checkRefName(PR_PREFIX + id, 'pull-request branch');
  return id;
}

function defaultMessage(req: Batch, edits: readonly FileEdit[]): string {
  const lines = req.edits.map((e, i) => {
    const id = editIdentity(e);
    const verb = e.op === 'delete' ? 'Delete' : edits[i]!.created ? 'Create' : 'Update';
    return `${verb} ${id.kind} ${id.org ? `${id.org}/` : ''}${id.name}`;
  });
  const subject = lines.length === 1 ? lines[0]! : `Write ${lines.length} resources`;
  const body = lines.length === 1 ? '' : `${lines.join('\n')}\n\n`;
  const who = commitIdent(req.actor);
  return `${subject}\n\n${body}Written by Kradle for ${who.name} <${who.email}>.`;
}
