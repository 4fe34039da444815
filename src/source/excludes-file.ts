import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * The ignore file of `core.excludesFile`, which `git status` reads after .gitignore files and .git/info/exclude:
 * the last value in the system, global and repository config files, in the order git reads them, else git's
 * default, `$XDG_CONFIG_HOME/git/ignore` (`~/.config/git/ignore`). Undefined when the value is empty. Only
 * `[core] excludesFile` is read: `[include]` directives are not followed.
 */
export function excludesFileOf(gitdir: string, root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const home = env.HOME || homedir();
  const xdg = env.XDG_CONFIG_HOME || join(home, '.config');
  const files = [
    ...(env.GIT_CONFIG_NOSYSTEM ? [] : [env.GIT_CONFIG_SYSTEM || '/etc/gitconfig']),
    ...(env.GIT_CONFIG_GLOBAL ? [env.GIT_CONFIG_GLOBAL] : [join(xdg, 'git', 'config'), join(home, '.gitconfig')]),
    join(gitdir, 'config'),
  ];
  let value: string | undefined;
  for (const file of files) value = coreExcludesFile(file) ?? value;
  if (value === undefined) return join(xdg, 'git', 'ignore');
  if (value === '') return undefined;
  // A path value: `~/` is the home directory; a relative path is taken from the top of the working tree, where
  // git runs its status.
  const path = value.startsWith('~/') ? join(home, value.slice(2)) : value;
  return isAbsolute(path) ? path : resolve(root, path);
}

/** The last `excludesFile` of the `[core]` sections of one config file, if it sets one. */
function coreExcludesFile(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let inCore = false;
  let value: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const section = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"[^"]*")?\s*\]/.exec(line);
    if (section) {
      inCore = section[1]!.toLowerCase() === 'core';
      // A key may follow the header on the same line: `[core] excludesFile = x`.
      const rest = line.slice(section[0].length).trim();
      if (inCore && rest) value = excludesValue(rest) ?? value;
      continue;
    }
    if (inCore) value = excludesValue(line) ?? value;
  }
  return value;
}

/** The value when `line` sets excludesFile (names are case-insensitive), unquoted, without a trailing comment. */
function excludesValue(line: string): string | undefined {
  const m = /^excludesfile\s*=\s*(.*)$/i.exec(line);
  if (!m) return undefined;
  let out = '';
  let quoted = false;
  const text = m[1]!;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && i + 1 < text.length) {
      const n = text[++i]!;
      out += n === 't' ? '\t' : n === 'n' ? '\n' : n;
    } else if (!quoted && (c === '#' || c === ';')) break;
    else out += c;
  }
  return out.trim();
}
