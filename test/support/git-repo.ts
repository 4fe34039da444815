// Real Git repositories on disk, built with the git CLI, for tests and benches.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Kradle Test',
  GIT_AUTHOR_EMAIL: 'test@kradle.invalid',
  GIT_COMMITTER_NAME: 'Kradle Test',
  GIT_COMMITTER_EMAIL: 'test@kradle.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export function runGit(cwd: string, args: string[], input?: string | Buffer): string {
  return runGitUntrimmed(cwd, args, input).trim();
}

/** git's output as printed: a porcelain line starts with a space (` M file`) that runGit's trim() would cut. */
export function runGitUntrimmed(cwd: string, args: string[], input?: string | Buffer): string {
  return execFileSync('git', args, { cwd, env: ENV, input, maxBuffer: 256 * 1024 * 1024 }).toString();
}

export function tempDir(prefix = 'kradle-git-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestRepo {
  dir: string;
  git(...args: string[]): string;
  /** Writes files (path -> content; null deletes) in the working tree without committing. */
  write(files: Record<string, string | null>): void;
  /** Writes files, stages everything and commits; returns the new commit id. */
  commit(files: Record<string, string | null>, message?: string): string;
  head(): string;
  tag(name: string, opts?: { annotated?: boolean; rev?: string }): void;
  remove(): void;
}

/** A working repository with branch `main` in a fresh temp directory (or `dir`). */
export function createTestRepo(dir = tempDir()): TestRepo {
  mkdirSync(dir, { recursive: true });
  runGit(dir, ['init', '-q', '-b', 'main']);
  const git = (...args: string[]) => runGit(dir, args);
  const write = (files: Record<string, string | null>) => {
    for (const [path, content] of Object.entries(files)) {
      const full = join(dir, path);
      if (content === null) rmSync(full, { force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
  };
  return {
    dir,
    git,
    write,
    commit(files, message = 'change') {
      write(files);
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    head: () => git('rev-parse', 'HEAD'),
    tag(name, opts = {}) {
      const args = opts.annotated ? ['tag', '-a', '-m', name, name] : ['tag', name];
      git(...args, ...(opts.rev ? [opts.rev] : []));
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A bare clone of `from` at `dir` (default: a fresh temp directory); returns its path. */
export function createBareClone(from: string, dir = join(tempDir(), 'repo.git')): string {
  runGit(dirname(dir), ['clone', '-q', '--bare', from, dir]);
  return dir;
}

/** Renames a file in the working tree with `git mv` and commits; returns the new commit id. */
export function renameAndCommit(repo: TestRepo, from: string, to: string): string {
  mkdirSync(dirname(join(repo.dir, to)), { recursive: true });
  repo.git('mv', from, to);
  repo.git('commit', '-q', '-m', `rename ${from}`);
  return repo.head();
}

/**
 * Runs git without blocking the event loop: needed whenever git talks to a server that lives in
 * this same process (the smart-HTTP test server), which a synchronous call would deadlock.
 */
export function runGitAsync(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: ENV, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args[0]} failed: ${stderr.toString().trim()}`));
      else resolve(stdout.toString().trim());
    });
  });
}

/**
 * Packs the repository (gc) and flips bytes inside one object's compressed data in the pack, as a damaged disk
 * or a truncated transfer would: the index still lists the object, its bytes no longer inflate. Returns the
 * damaged pack's file name.
 */
export function damagePackedObject(repo: Pick<TestRepo, 'dir' | 'git'>, oid: string, gcArgs: string[] = []): { pack: string } {
  repo.git('gc', '-q', '--prune=now', ...gcArgs);
  const packDir = join(repo.dir, '.git/objects/pack');
  const idx = readdirSync(packDir).find((n) => n.endsWith('.idx'))!;
  // verify-pack: `<oid> <type> <size> <size-in-pack> <offset>`; a small object's header is 2 bytes.
  const line = repo.git('verify-pack', '-v', join(packDir, idx)).split('\n').find((l) => l.startsWith(oid))!;
  const offset = Number(line.trim().split(/\s+/)[4]);
  const packPath = join(packDir, idx.replace(/\.idx$/, '.pack'));
  chmodSync(packPath, 0o644);
  const pack = readFileSync(packPath);
  for (let i = offset + 4; i < offset + 12; i++) pack[i] ^= 0xff;
  writeFileSync(packPath, pack);
  return { pack: idx.replace(/\.idx$/, '.pack') };
}
