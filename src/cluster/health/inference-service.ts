import { readyHealth, type HealthCheck } from './types.ts';

export const inferenceServiceHealth: HealthCheck = (obj) => readyHealth(obj, 'the inference service');
