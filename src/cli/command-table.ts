import type { Command } from './main.ts';

export interface CommandEntry {
  /** What `kradle help` lists; kept here so listing commands loads none of them. */
  summary: string;
  load(): Promise<{ command: Command }>;
}

/**
 * Every `kradle` command, one line each (add yours in alphabetical order): `kradle X` imports only X's module
 * and what it needs. A module in commands/ missing here still runs, but `kradle help` must load it to list it.
 */
export const COMMANDS: Record<string, CommandEntry> = {
  apply: { summary: 'apply the documents of a YAML file through a running server (one validated commit, or none)', load: () => import('./commands/apply.ts') },
  completion: { summary: 'print a bash or zsh completion script (kradle completion bash|zsh)', load: () => import('./commands/completion.ts') },
  delete: { summary: 'delete a resource through a running server (config kinds: a commit)', load: () => import('./commands/delete.ts') },
  diff: { summary: 'resource-level plan between two revisions: created, changed (field diff), deleted', load: () => import('./commands/diff.ts') },
  dispatch: { summary: 'dispatch an agent run through the API', load: () => import('./commands/dispatch.ts') },
  get: { summary: 'print one resource from a running server (YAML or JSON)', load: () => import('./commands/get.ts') },
  kinds: { summary: 'list every kind: plural, storage (config = Git, runtime = Postgres), context', load: () => import('./commands/kinds.ts') },
  list: { summary: 'list resources of one kind from a running server', load: () => import('./commands/list.ts') },
  mcp: { summary: 'the MCP server over stdio (tools, prompts and resources of a running server)', load: () => import('./commands/mcp.ts') },
  migrate: { summary: 'apply pending store migrations (PGlite in --data-dir, or Postgres at --database-url) and print them', load: () => import('./commands/migrate.ts') },
  preview: { summary: 'pull-request preview of HEAD against BASE as Markdown; --post puts it on the pull request', load: () => import('./commands/preview.ts') },
  render: { summary: 'write every object a revision would apply (CRDs included) as YAML for kubectl apply -f DIR', load: () => import('./commands/render.ts') },
  retry: { summary: 'retry a Failed agent run as its next attempt', load: () => import('./commands/retry.ts') },
  serve: { summary: 'run the controller and its HTTP API (embedded PGlite and plan-only cluster by default)', load: () => import('./commands/serve.ts') },
  stacks: { summary: 'list agent stacks with their readiness', load: () => import('./commands/stacks.ts') },
  status: { summary: 'show the sync status of a running server (and an org summary with --org)', load: () => import('./commands/status.ts') },
  sync: { summary: 'trigger a sync on a running server, then print its status', load: () => import('./commands/sync.ts') },
  token: { summary: 'create, list and revoke API bearer tokens (through a server, or in the store; a token is printed once)', load: () => import('./commands/token.ts') },
  validate: { summary: 'validate the config repo at a revision: every error as path:line:column: CODE message', load: () => import('./commands/validate.ts') },
  version: { summary: 'print the version of kradle (also kradle --version)', load: () => import('./commands/version.ts') },
};
