import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import git from 'isomorphic-git';

/** Every file below dir, as paths relative to it (no .git). */
async function listFiles(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.name === '.git') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full, base)));
    else if (entry.isFile()) out.push(relative(base, full));
  }
  return out.sort();
}

/**
 * Copies a plain directory (e.g. fixtures/config-repo) into a new Git repository on branch `main` with one
 * commit, so the embedded default has a real config repo to sync from and write back to.
 */
export async function initRepoFromDirectory(from: string, to: string, author = { name: 'Kradle', email: 'kradle@localhost' }): Promise<string> {
  await fs.mkdir(to, { recursive: true });
  await git.init({ fs, dir: to, defaultBranch: 'main' });
  for (const path of await listFiles(from)) {
    await fs.mkdir(join(to, path, '..'), { recursive: true });
    await fs.copyFile(join(from, path), join(to, path));
    await git.add({ fs, dir: to, filepath: path });
  }
  return git.commit({ fs, dir: to, message: `Import ${relative(process.cwd(), from) || from}`, author });
}

/** Whether dir is a Git repository (working tree with .git, or bare). */
export async function isGitRepository(dir: string): Promise<boolean> {
  const exists = (p: string) => fs.stat(p).then(() => true, () => false);
  return (await exists(join(dir, '.git'))) || ((await exists(join(dir, 'HEAD'))) && (await exists(join(dir, 'objects'))));
}
