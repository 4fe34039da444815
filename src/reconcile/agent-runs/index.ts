// agent-runs/ owns the leader-only retry of agent dispatch runs left Queued; starting a run is the agents' (a port).
// It must not build Jobs or change runs itself.
export * from './queued-run-retry.ts';
