// agents/ owns triggers, dispatch runs and their Jobs, approvals, stack readiness and memory updates.
// It must not talk to pg or the Kubernetes client directly: it goes through the store and cluster interfaces.
export * from './redaction.ts';
export * from './dispatch-machine.ts';
export * from './triggers.ts';
export * from './budget.ts';
export * from './job-spec.ts';
export * from './refs.ts';
export * from './readiness.ts';
export * from './memory/index.ts';
export * from './approvals.ts';
export * from './permission-review.ts';
export { createDispatchService, type DispatchService } from './dispatch-service.ts';
export type { DispatchDeps } from './dispatch-deps.ts';
export type { DispatchRequest } from './dispatch-create.ts';
export { jobFailure, type CallbackBody } from './dispatch-jobs.ts';
export { lifecyclePublisher, mutateStatus } from './status.ts';
export { createCronScheduler, type CronScheduler } from './cron-triggers.ts';
export { createTriggerService, type TriggerService, type TriggerOutcome, type TriggerDecision, type TriggerDeps } from './trigger-service.ts';
export { createAgentRoutes, agentRouteDefs, type AgentRouteDeps, type AgentRouteDef } from './routes.ts';
export { requireRole, type AgentContext } from './routes-http.ts';
export { createActionGate, gateOf, type ActionGate, type GateAnswer } from './action-gate.ts';
export { buildRunContext, grantedCredentials, RUN_CONTEXT_DIR, RUN_CONTEXT_FILE } from './run-context.ts';
export { createWorkspaceController, createWorkspaceService, claimWorkspace, WORKSPACE_KIND, type WorkspaceController, type WorkspaceService } from './workspaces/index.ts';
export { createJobController, type JobController } from './job-controller.ts';
export { createNotificationService, createNotifier, NOTIFICATION_TYPES, type NotificationService, type Notifier, type Notification } from './notifications/index.ts';
export { createAgentAuditor, auditEntryOf } from './audit.ts';
