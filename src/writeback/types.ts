import type { ErrorDetail } from '../errors/index.ts';
import type { Resource } from '../kinds/index.ts';
import type { Snapshot } from '../source/types.ts';

/** A config file as text at some revision. */
export interface ConfigFile {
  path: string;
  text: string;
}

/** What a write does to one resource. `org` is the org slug, or null for documents outside any org. */
export type WriteEdit =
  | {
      op: 'upsert';
      resource: Resource;
      /** The document as its author wrote it (`kradle apply -f`): a new resource keeps this text and its comments. */
      source?: string;
    }
  | { op: 'delete'; kind: string; org: string | null; name: string };

/** The outcome of applying an edit to the files: the one file it changes (text null = file removed). */
export interface FileEdit {
  path: string;
  text: string | null;
  /** The resource did not exist before (upsert of a new resource). */
  created: boolean;
  /** The edit leaves the file as it was (same spec, labels and annotations). */
  unchanged: boolean;
}

/** The person (or token subject) a commit is written for. */
export interface Actor {
  name: string;
  email: string;
}

export interface WriteRequest {
  edit: WriteEdit;
  actor: Actor;
  /** Commit message; a default naming the operation and resource is used when absent. */
  message?: string;
  /**
   * If-Match: the commit the client read the resource at. When the resource's document differs
   * between that commit and the tip, the write fails with ConflictError and makes no commit.
   */
  expectedRevision?: string;
  /** `pull-request` commits onto a new branch `kradle/write/<id>` and leaves the tracked branch alone. */
  mode?: 'commit' | 'pull-request';
  /** Id of the pull-request branch; random when absent. */
  id?: string;
}

export interface WriteResult {
  /** The new commit, or the tip when the write changed nothing. */
  commit: string;
  /** The branch the commit is on (the tracked branch, or `kradle/write/<id>`). */
  branch: string;
  /** The file the resource lives in (or lived in, for a delete). */
  path: string;
  created: boolean;
  /** False when the edit left the files as they were: no commit was made. */
  changed: boolean;
  /** The revision's warnings about the written document, positioned in its file; a delete writes none. */
  warnings: ErrorDetail[];
}

/**
 * What the validation of a revision found: errors make it invalid; warnings (a spec field its kind does not know,
 * UNKNOWN_FIELD) never do, and a write reports those about the documents it wrote.
 */
export interface RevisionCheck {
  errors: ErrorDetail[];
  warnings: readonly ErrorDetail[];
}

/** Same shape as the source's RemoteAuth: a bearer token or basic credentials. */
export type RemoteAuth = { token: string } | { username: string; password: string };

export interface RemoteOptions {
  /** http(s) URL; userinfo in it is used as basic auth and never stored or shown. */
  url: string;
  auth?: RemoteAuth;
}

/** Node's fs (the default) or any fs with the promise API isomorphic-git and the ref lock need. */
export type WriterFs = typeof import('node:fs');

export interface ConfigWriterOptions {
  /** The git directory written in place (a local repo) or the cache directory of a remote. */
  gitdir: string;
  fs?: WriterFs;
  /** The tracked branch, e.g. `main`. */
  branch: string;
  /** Folder of the config files inside the repo ('' = the root). */
  dir?: string;
  remote?: RemoteOptions;
  /** Validates the revision a write would produce: any error rejects the write with 422; warnings go with the result. */
  validate(snapshot: Snapshot): Promise<RevisionCheck>;
  /** isomorphic-git object cache, shared with the source when both read the same gitdir. */
  cache?: object;
  /**
   * Where a resource lives per the desired state. With it, an existing resource is read from its file and a
   * new one is known new without reading every file of the repo (the fallback scan, ~15 s at 10k files).
   */
  locate?: LocateFn;
  /** Attempts on a moved ref or a rejected push before ConflictError (default 5). */
  maxAttempts?: number;
}

/** Several edits as ONE commit: validated as one revision, published together or not at all. */
export interface WriteManyRequest {
  edits: WriteEdit[];
  actor: Actor;
  message?: string;
  /** If-Match for every edit: ConflictError when any of the resources changed since this commit. */
  expectedRevision?: string;
  mode?: 'commit' | 'pull-request';
  id?: string;
}

export interface WriteManyResult {
  /** The new commit, or the tip when no edit changed anything. */
  commit: string;
  branch: string;
  changed: boolean;
  /** Per edit, in request order: the file it touched, whether the resource was new, whether it changed anything. */
  items: { path: string; created: boolean; changed: boolean }[];
  /** The revision's warnings about the documents the edits wrote (changed or not), in the revision's order. */
  warnings: ErrorDetail[];
}

/**
 * Where the loaded desired state says a resource lives: `revision` is the commit it was loaded from;
 * `path` the file holding the resource, absent when the resource is not in that revision.
 */
export interface LocatedResource {
  revision: string;
  path?: string;
}

/** Looks a resource up in the desired state; undefined when it cannot tell (nothing loaded yet). */
export type LocateFn = (org: string | null, kind: string, name: string) => LocatedResource | undefined;

export interface ConfigWriter {
  write(req: WriteRequest): Promise<WriteResult>;
  writeMany(req: WriteManyRequest): Promise<WriteManyResult>;
}
