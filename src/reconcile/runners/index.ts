// runners/ owns RunnerPool scaling: queue depth from runtime Job records, desired replicas, the pool's scaling status.
// It must not build the runner Deployment (cluster/projections does) nor change Job records.
export * from './queue-depth.ts';
export * from './runner-scaler.ts';
