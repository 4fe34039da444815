import { randomUUID } from 'node:crypto';
import * as nodeFs from 'node:fs';
import git from 'isomorphic-git';
import { BadRequestError, ConflictError, ValidationError } from '../errors/index.ts';
import type { Snapshot } from '../source/types.ts';
import { createTreeLister, rewriteTree, type GitContext } from './git-tree.ts';
import { conventionalPath, type ResourceIdentity } from './identity.ts';
import { createLocator } from './locator.ts';
import { withGitdirLock } from './mutex.ts';
import { compareAndSwapRef, readRef } from './ref-cas.ts';
import { ensureRepo, fetchBranch, pushCommit, remoteTarget } from './remote.ts';
import type { ConfigWriter, ConfigWriterOptions, FileEdit, WriteRequest, WriteResult } from './types.ts';
import { applyEdit, documentFingerprint, editIdentity } from './yaml-edit.ts';

const PR_PREFIX = 'kradle/write/';
const DEEPEN = 200;
const BRANCH_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Outcome of one attempt: done, or the tip moved (ref or remote) and the edit must be redone. */
type Attempt = { done: WriteResult } | { retry: true };

/**
 * Writes config resources as commits on the config repo: edit the YAML, validate the resulting
 * revision, commit without the index, then move the branch by compare-and-swap (local) or push
 * (remote), redoing the edit on the new tip when someone else got there first.
 */
export function createConfigWriter(opts: ConfigWriterOptions): ConfigWriter {
  const ctx: GitContext = { fs: opts.fs ?? nodeFs, gitdir: opts.gitdir, cache: opts.cache ?? {}, trees: new Map() };
  const dir = (opts.dir ?? '').replace(/^\/+|\/+$/g, '');
  const lister = createTreeLister(ctx);
  const locator = createLocator(ctx);
  const maxAttempts = opts.maxAttempts ?? 5;
  const target = opts.remote ? remoteTarget(opts.remote) : undefined;

  async function tipOf(): Promise<string | null> {
    if (!target) return readRef(ctx.fs, ctx.gitdir, `refs/heads/${opts.branch}`);
    await ensureRepo(ctx, target);
    return fetchBranch(ctx, target, opts.branch);
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

  async function checkIfMatch(req: WriteRequest, tip: string | null, id: ResourceIdentity, guess: string | undefined) {
    if (!req.expectedRevision || req.expectedRevision === tip) return;
    const expected = await knownCommit(req.expectedRevision);
    if (expected === tip) return;
    if ((await fingerprintAt(expected, id, guess)) !== (await fingerprintAt(tip, id, guess))) {
      throw new ConflictError(`${id.kind} ${id.name} changed since revision ${req.expectedRevision.slice(0, 12)}`);
    }
  }

  /** Resolves the revision the client read; a shallow cache is deepened once to find it. */
  async function knownCommit(rev: string): Promise<string> {
    const expand = () => git.expandOid({ ...ctx, oid: rev }).catch(() => undefined);
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

  async function commitEdit(req: WriteRequest, tip: string | null, edit: FileEdit): Promise<string> {
    const baseTree = await treeOf(tip);
    const blob = edit.text === null ? null : await git.writeBlob({ ...ctx, blob: new TextEncoder().encode(edit.text) });
    const tree = await rewriteTree(ctx, baseTree, new Map([[edit.path, blob]]));
    const who = { name: req.actor.name, email: req.actor.email, timestamp: Math.floor(Date.now() / 1000), timezoneOffset: 0 };
    const message = req.message ?? defaultMessage(req, edit);
    // The commit object exists before validation so the snapshot carries its real revision; an
    // unreferenced object is all a rejected write leaves behind.
    const commit = await git.writeCommit({ ...ctx, commit: { message: `${message.trimEnd()}\n`, tree, parent: tip ? [tip] : [], author: who, committer: who } });
    const errors = await opts.validate(snapshotOf(commit, await lister.list(tree, dir)));
    if (errors.length) throw new ValidationError(`the write would make the config repo invalid (${errors.length} error${errors.length > 1 ? 's' : ''})`, { details: errors });
    return commit;
  }

  async function publish(ref: string, expected: string | null, commit: string, branch: string): Promise<boolean> {
    if (!target) return compareAndSwapRef(ctx.fs, ctx.gitdir, `refs/heads/${ref}`, expected, commit);
    return (await pushCommit(ctx, target, commit, branch)) === 'pushed';
  }

  async function attempt(req: WriteRequest, prBranch: string | undefined): Promise<Attempt> {
    const id = editIdentity(req.edit);
    const guess = req.edit.op === 'upsert' ? conventionalPath(req.edit.resource, dir) : undefined;
    const tip = await tipOf();
    await checkIfMatch(req, tip, id, guess);
    const tree = await treeOf(tip);
    const files = tree ? await locator.candidates(await lister.list(tree, dir), id, guess) : [];
    const edit = applyEdit(files, req.edit, { dir });
    if (edit.unchanged) return { done: { branch: opts.branch, path: edit.path, created: false, commit: tip!, changed: false } };
    const branch = prBranch ?? opts.branch;
    const base = { branch, path: edit.path, created: edit.created };
    const commit = await commitEdit(req, tip, edit);
    if (await publish(branch, prBranch ? null : tip, commit, branch)) return { done: { ...base, commit, changed: true } };
    if (prBranch) throw new ConflictError(`branch ${prBranch} already exists`);
    return { retry: true };
  }

  return {
    async write(req) {
      const prBranch = req.mode === 'pull-request' ? PR_PREFIX + prId(req.id) : undefined;
      return withGitdirLock(ctx.gitdir, async () => {
        for (let i = 0; i < maxAttempts; i++) {
          const outcome = await attempt(req, prBranch);
          if ('done' in outcome) return outcome.done;
        }
        throw new ConflictError(`${opts.branch} kept moving: the write was not applied after ${maxAttempts} attempts`);
      });
    },
  };
}

function prId(id: string | undefined): string {
  if (id === undefined) return randomUUID().slice(0, 8);
  if (!BRANCH_ID.test(id) || id.includes('..')) throw new BadRequestError(`invalid pull-request branch id ${JSON.stringify(id)}`);
  return id;
}

function defaultMessage(req: WriteRequest, edit: FileEdit): string {
  const id = editIdentity(req.edit);
  const verb = req.edit.op === 'delete' ? 'Delete' : edit.created ? 'Create' : 'Update';
  return `${verb} ${id.kind} ${id.org ? `${id.org}/` : ''}${id.name}\n\nWritten by Kradle for ${req.actor.name} <${req.actor.email}>.`;
}
