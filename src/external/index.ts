// external/ owns sync with external backends (§11): inbound upserts and their conflict policy, conflict
// resolution, inbound provider webhooks, and sending approved write intents through provider adapters.
// It must not shape HTTP answers (api/ does) nor write config files itself (it asks the config writer).
export { createExternalSync, type ExternalSync, type ExternalSyncDeps, type SyncInput, type SyncResult } from './sync.ts';
export { createConflictResolver, type ConflictResolver } from './resolve-conflict.ts';
export { decideIncoming, policyOf, type Outcome } from './policy.ts';
export type { ConfigWrite } from './records.ts';
export { createWriteIntentSender, type WriteIntentSender, type WriteIntentSenderDeps } from './write-intent-sender.ts';
export { adapterFor, type ProviderAdapter, type ProviderWrite, type SendResult } from './providers/index.ts';
export { createWebhookIntake, type WebhookIntake, type IntakeResult } from './webhook-intake.ts';
