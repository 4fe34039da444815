// The console's only way to the API: same-origin fetch with the session cookie, the CSRF header on unsafe
// methods, and errors as the API's envelope. ENDPOINTS lists every operation the console calls; a test checks
// each against /openapi.json, so the console and the API cannot drift apart.
export const ENDPOINTS = {
  session: ['GET', '/api/session'], signIn: ['POST', '/api/session'], signOut: ['DELETE', '/api/session'],
  controller: ['GET', '/api/controller'], resourceIndex: ['GET', '/api/orgs/{org}/resource-index'],
  tree: ['GET', '/api/orgs/{org}/resources/{kind}/{name}/tree'], resource: ['GET', '/api/orgs/{org}/resources/{kind}/{name}'],
  apply: ['POST', '/api/orgs/{org}/resources'], list: ['GET', '/api/orgs/{org}/resources'], runtime: ['GET', '/api/orgs/{org}/runtime-resources/{kind}'],
  sync: ['GET', '/api/sync'], syncRuns: ['GET', '/api/sync/runs'], preview: ['POST', '/api/previews'],
  runs: ['GET', '/api/orgs/{org}/agents/runs'], decide: ['POST', '/api/orgs/{org}/agents/approvals/{name}/decide'],
  imports: ['GET', '/api/orgs/{org}/agents/memory/imports'], approveImport: ['POST', '/api/orgs/{org}/agents/memory/imports/{name}/approve'],
  rejectImport: ['POST', '/api/orgs/{org}/agents/memory/imports/{name}/reject'], audit: ['GET', '/api/orgs/{org}/audit'],
  orgEvents: ['GET', '/api/orgs/{org}/events'], events: ['GET', '/api/events'],
};

let csrfToken = '';
export function setCsrf(token) { csrfToken = token || ''; }

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? 'HTTP_' + status;
    this.details = body?.error?.details ?? [];
  }
}

/** Fills `{param}` of an endpoint's path and appends a query (undefined and '' values left out). */
export function pathOf(name, params = {}, query = {}) {
  const path = ENDPOINTS[name][1].replace(/\{(\w+)\}/g, (_, p) => encodeURIComponent(params[p]));
  const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => [k, String(v)]));
  return q.size ? `${path}?${q}` : path;
}

export async function call(name, { params, query, body, headers = {} } = {}) {
  const method = ENDPOINTS[name][0];
  const h = { ...headers };
  if (body !== undefined) h['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) h['x-csrf-token'] = csrfToken;
  const res = await fetch(pathOf(name, params, query), { method, headers: h, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new ApiError(res.status, data);
  return { data, headers: res.headers, status: res.status };
}

/** An error detail as `path:line:column: CODE message`, the form every Kradle tool prints. */
export function formatDetail(d) {
  const where = d.path ? `${d.path}:${d.line ?? 1}:${d.column ?? 1}: ` : d.field ? `${d.field}: ` : '';
  return `${where}${d.code} ${d.message}`;
}
