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
  | { op: 'upsert'; resource: Resource }
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
  /** Validates the revision a write would produce; any detail rejects the write with 422. */
  validate(snapshot: Snapshot): Promise<ErrorDetail[]>;
  /** isomorphic-git object cache, shared with the source when both read the same gitdir. */
  cache?: object;
  /** Attempts on a moved ref or a rejected push before ConflictError (default 5). */
  maxAttempts?: number;
}

export interface ConfigWriter {
  write(req: WriteRequest): Promise<WriteResult>;
}
