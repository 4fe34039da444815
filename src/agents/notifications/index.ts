// notifications/ owns §7.3 notification records, per org and recipient, and the leader-only notifier that
// derives them from store events. It must not send anything outside Kradle (webhooks do that).
import type { Store } from '../../store/types.ts';
import { createNotificationStore, type NewNotification, type Notification } from './store.ts';

export { createNotifier, type Notifier } from './notifier.ts';
export { checkPreferences, NOTIFICATION_TYPES, type NewNotification, type Notification, type NotificationType, type Preferences } from './store.ts';

export type NotificationService = ReturnType<typeof createNotificationStore> & {
  /** Records a notification unless muted or already recorded, and publishes it as a `NOTIFICATION` event. */
  notify(org: string, n: NewNotification): Promise<Notification | undefined>;
};

export function createNotificationService(store: Pick<Store, 'query' | 'events'>): NotificationService {
  const db = createNotificationStore(store);
  return {
    ...db,
    async notify(org, n) {
      const created = await db.insert(org, n);
      if (created) {
        await store.events.publish({ org, type: 'NOTIFICATION', kind: 'Notification', name: String(created.id), payload: { id: created.id, recipient: created.recipient, type: created.type, severity: created.severity, title: created.title, resource: created.resource } });
      }
      return created;
    },
  };
}
