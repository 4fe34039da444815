// webhooks/ owns outbound webhook delivery: matching events to WebhookSubscriptions, delivery records, signing.
// It must not serve HTTP routes (api/ does) nor read secrets or config on its own (both come in as ports).
export * from './delivery-record.ts';
export * from './dispatcher.ts';
export * from './match.ts';
export * from './signature.ts';
