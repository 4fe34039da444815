import { parseArgs } from 'node:util';
import { previewProjector } from '../../cluster/index.ts';
import { BadRequestError } from '../../errors/index.ts';
import { createForgeClient, parsePullRequestUrl, postPreview } from '../../forge/index.ts';
import { createLoader } from '../../loader/index.ts';
import { buildPreview, previewMarkdown, type Preview } from '../../plan/index.ts';
import { failCommand, UsageError } from '../client.ts';
import type { Command } from '../main.ts';
import { openSource, snapshotAt, SOURCE_FLAGS, type SourceFlags } from '../open-source.ts';

const USAGE = `usage: kradle preview --base REV --head REV [--repo PATH|URL] [--path DIR] [--format markdown|json]
                      [--post PULL_REQUEST_URL] [--forge-api URL]
  validates HEAD and plans it against BASE, applying nothing, and prints the pull-request comment (Markdown).
  --post   sets a commit status on HEAD and writes (or updates in place) Kradle's one comment on the pull
           request; the token comes from KRADLE_FORGE_TOKEN (GitHub: github.com/<o>/<r>/pull/<n>; Gitea: …/pulls/<n>)
  exit 0 valid, 1 invalid, 2 usage, read or forge error`;

/** Loads both revisions with one loader (shared blobs parse once) and plans head against base. */
async function loadPreview(flags: SourceFlags, base: string, head: string): Promise<{ preview: Preview; headSha: string }> {
  const source = await openSource(flags);
  const [baseSnap, headSnap] = [await snapshotAt(source, base, flags.path), await snapshotAt(source, head, flags.path)];
  const loader = createLoader();
  const preview = buildPreview({ base, head }, await loader.load(baseSnap), await loader.load(headSnap), previewProjector);
  return { preview, headSha: headSnap.revision };
}

/** `kradle diff --format markdown` and `kradle preview`: the comment a reviewer reads, on stdout. */
export async function printPreview(flags: SourceFlags, base: string, head: string): Promise<number> {
  const { preview } = await loadPreview(flags, base, head);
  process.stdout.write(previewMarkdown(preview));
  return preview.valid ? 0 : 1;
}

export const command: Command = {
  summary: 'pull-request preview of HEAD against BASE as Markdown; --post puts it on the pull request',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...SOURCE_FLAGS, base: { type: 'string' }, head: { type: 'string' }, format: { type: 'string' }, post: { type: 'string' }, 'forge-api': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
    if (values.help) return console.log(USAGE), 0;
    if (positionals.length || !values.base || !values.head) return failCommand('preview', argv, new UsageError('need --base and --head'), USAGE);
    const format = values.format ?? 'markdown';
    if (format !== 'markdown' && format !== 'json') throw new BadRequestError(`--format must be markdown or json, not ${JSON.stringify(format)}`);
    const pr = values.post ? parsePullRequestUrl(values.post, values['forge-api']) : undefined;
    const token = process.env.KRADLE_FORGE_TOKEN;
    if (pr && !token) return failCommand('preview', argv, new UsageError('--post needs a forge token in KRADLE_FORGE_TOKEN'));
    const { preview, headSha } = await loadPreview(values, values.base, values.head);
    const markdown = previewMarkdown(preview, pr ? { fileUrl: (path, line) => `${pr.web}/blob/${headSha}/${path}#L${line}` } : {});
    // JSON is printed once posting succeeded: a failed post is then the one error object on stdout, not a second.
    if (format === 'markdown') process.stdout.write(markdown);
    if (pr) {
      const posted = await postPreview(createForgeClient({ api: pr.api, forge: pr.forge, token: token! }), pr, headSha, preview, markdown);
      console.error(`kradle preview: ${posted.state} status on ${headSha.slice(0, 12)}; comment ${posted.commentId} ${posted.updated ? 'updated' : 'created'}`);
    }
    if (format === 'json') process.stdout.write(`${JSON.stringify(preview, null, 2)}\n`);
    return preview.valid ? 0 : 1;
  },
};
