import { normalizeName } from '../kinds/index.ts';
import type { ConfigWriter } from '../writeback/index.ts';
import type { WriterPort } from './deps.ts';

/**
 * Joins writeback/'s ConfigWriter to the API's writer port: the token subject becomes the commit
 * author (with a placeholder address when it has none), If-Match becomes expectedRevision.
 */
export function writerPortFrom(writer: ConfigWriter, opts: { emailDomain?: string } = {}): WriterPort {
  const domain = opts.emailDomain ?? 'users.kradle.invalid';
  return {
    async write(req) {
      const edit = req.resource
        ? ({ op: 'upsert', resource: req.resource } as const)
        : ({ op: 'delete', kind: req.kind, org: req.org, name: req.name } as const);
      const out = await writer.write({
        edit,
        actor: actorOf(req.author, domain),
        expectedRevision: req.expectedRevision,
        mode: req.mode,
        message: req.message,
      });
      return { commit: out.commit, branch: out.branch, path: out.path, created: out.created, changed: out.changed, warnings: out.warnings };
    },
    async writeMany(req) {
      return writer.writeMany({
        edits: req.edits.map((e) => (e.resource ? { op: 'upsert', resource: e.resource, source: e.source } : { op: 'delete', kind: e.kind, org: req.org, name: e.name })),
        actor: actorOf(req.author, domain),
        expectedRevision: req.expectedRevision,
        mode: req.mode,
        message: req.message,
      });
    },
  };
}

function actorOf(author: { name: string; email?: string }, domain: string) {
  return { name: author.name, email: author.email ?? `${normalizeName(author.name)}@${domain}` };
}
