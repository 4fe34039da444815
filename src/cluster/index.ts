// cluster/ owns talking to Kubernetes: projections of config kinds, apply order, CRDs, the live and plan-only drivers.
// It must not decide what is desired (loader/ and plan/ do) nor write the store.
export * from './types.ts';
export * from './projections/index.ts';
export * from './apply-order.ts';
export * from './plan-only-driver.ts';
export * from './crds.ts';
export * from './render.ts';
export * from './live-driver.ts';
export * from './kubeconfig.ts';
export * from './health/index.ts';
export * from './preview-projector.ts';
