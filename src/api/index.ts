// api/ owns the HTTP shell: Koa app, routes per domain, bearer-token auth, SSE, webhooks, errors, OpenAPI, metrics.
// It must not hold domain logic of its own beyond request checks: it calls the store, the writer and the sync loop through ApiDeps.
export { createApiApp, type ApiApp } from './app.ts';
export type { ApiDeps, ConfigPort, SyncPort, SyncStatus, ConfigWriteRequest, ConfigWriteManyRequest, ConfigWriteManyResult, WriterPort, SecretsPort, InferencePort, InferenceEndpoint, Clock } from './deps.ts';
export type { Principal, Role, RouteDef, AuthRule } from './context.ts';
export { PLATFORM_ORG, ROLES } from './context.ts';
export { createTokenService, type TokenService, type TokenInfo } from './auth/tokens.ts';
export { createApiMetrics, type ApiMetrics } from './metrics.ts';
export { openApiDocument } from './openapi.ts';
export { writerPortFrom } from './writer-port.ts';
export { within } from './within.ts';
