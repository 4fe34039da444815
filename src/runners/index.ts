// runners/ owns §12 runner operations: runner registration and statuses, assigning queued Job records to a runner
// of their pool and releasing it when they end. Scaling the runner Deployment belongs to reconcile/runners.
export { createRunnerRegistry, RUNNER_STATUSES, type PoolRunners, type Runner, type RunnerRegistry, type RunnerStatus } from './registry.ts';
export { createRunnerAssigner, type RunnerAssigner } from './assigner.ts';
export { runnerRoutes } from './routes.ts';
