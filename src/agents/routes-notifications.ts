import { BadRequestError, ForbiddenError } from '../errors/index.ts';
import type { AgentRouteDef } from './routes.ts';
import { randomName } from './refs.ts';
import { jsonBody, requireRole, type AgentContext } from './routes-http.ts';
import { checkPreferences, NOTIFICATION_TYPES, type NotificationService } from './notifications/index.ts';

const P = '/api/orgs/:org/notifications';

/** The inbox is the token subject's; an org admin may read another recipient's with `?recipient=`. */
function recipientOf(ctx: AgentContext): string {
  const p = requireRole(ctx, 'reader');
  const asked = typeof ctx.query.recipient === 'string' && ctx.query.recipient ? ctx.query.recipient : undefined;
  if (asked && asked !== p.subject && p.role !== 'admin') throw new ForbiddenError('only an admin reads another recipient\'s notifications');
  return asked ?? p.subject;
}

function idOf(ctx: AgentContext): number {
  const id = Number(ctx.params.id);
  if (!Number.isSafeInteger(id) || id < 1) throw new BadRequestError('id must be a notification id');
  return id;
}

/** Inboxes and preferences are runtime records only: served whether or not the revision declares the org. */
export function notificationRoutes(n: NotificationService): AgentRouteDef[] {
  return [
    { method: 'GET', path: P, auth: 'any', runtimeOnly: true, summary: 'List notifications of the token subject (?unread=true, ?limit=, ?before=<id>)', async handler(ctx) {
      const recipient = recipientOf(ctx);
      const limit = typeof ctx.query.limit === 'string' ? Number(ctx.query.limit) : undefined;
      const before = typeof ctx.query.before === 'string' ? Number(ctx.query.before) : undefined;
      if ((limit !== undefined && !Number.isInteger(limit)) || (before !== undefined && !Number.isInteger(before))) throw new BadRequestError('limit and before must be integers');
      ctx.body = { items: await n.list(ctx.params.org!, recipient, { unread: ctx.query.unread === 'true', limit, before }) };
    } },
    { method: 'GET', path: `${P}/unread-count`, auth: 'any', runtimeOnly: true, summary: 'Unread notifications of the token subject', async handler(ctx) {
      ctx.body = { unread: await n.unreadCount(ctx.params.org!, recipientOf(ctx)) };
    } },
    { method: 'POST', path: `${P}/read-all`, auth: 'any', runtimeOnly: true, summary: 'Mark every notification of the token subject read', async handler(ctx) {
      ctx.body = { marked: await n.markAllRead(ctx.params.org!, recipientOf(ctx)) };
    } },
    { method: 'POST', path: `${P}/:id/read`, auth: 'any', runtimeOnly: true, summary: 'Mark one notification read', async handler(ctx) {
      ctx.body = await n.markRead(ctx.params.org!, recipientOf(ctx), idOf(ctx));
    } },
    { method: 'GET', path: `${P}/preferences`, auth: 'any', runtimeOnly: true, summary: 'Notification preferences of the token subject ({muted: [type]})', async handler(ctx) {
      ctx.body = await n.preferences(ctx.params.org!, recipientOf(ctx));
    } },
    { method: 'POST', path: `${P}/preferences`, auth: 'any', runtimeOnly: true, summary: `Set notification preferences: {muted: [${NOTIFICATION_TYPES.join(', ')}]}`, async handler(ctx) {
      ctx.body = await n.setPreferences(ctx.params.org!, recipientOf(ctx), checkPreferences(await jsonBody(ctx)));
    } },
    { method: 'POST', path: P, auth: 'any', runtimeOnly: true, summary: 'Send a system notification to a recipient of the org (admin)', async handler(ctx) {
      requireRole(ctx, 'admin');
      const b = await jsonBody(ctx);
      if (typeof b.recipient !== 'string' || !b.recipient || typeof b.title !== 'string' || !b.title) throw new BadRequestError('recipient and title must be non-empty strings');
      if (b.message !== undefined && typeof b.message !== 'string') throw new BadRequestError('message must be a string');
      const created = await n.notify(ctx.params.org!, { recipient: b.recipient, type: 'system', severity: 'info', title: b.title, message: b.message as string | undefined, source: `system/${randomName('n')}` });
      ctx.status = created ? 201 : 200;
      ctx.body = created ?? { muted: true };
    } },
  ];
}
