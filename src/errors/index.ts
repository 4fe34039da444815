// errors/ owns the error classes: each carries its code, HTTP status, reason and what the loop should do.
// It must not format HTTP responses (api/ does) or import other Kradle modules.
export * from './kradle-error.ts';
export * from './errors.ts';
export * from './sanitize.ts';
