import type { DesiredResource } from '../../loader/types.ts';
import type { KubeObject } from '../types.ts';
import { asRecord, nativeMeta, refName, type ProjectionContext } from './meta.ts';

const KYVERNO_POLICY_API = 'kyverno.io/v1';
const KYVERNO_EXCEPTION_API = 'kyverno.io/v2';
export const EXPIRES_AT_ANNOTATION = 'kradle.a5c.ai/expires-at';
const TEMPLATE_ANNOTATION = 'kradle.a5c.ai/template';
const TEMPLATE_HASH_ANNOTATION = 'kradle.a5c.ai/template-hash';

/** Binding modes are written either case (`audit`, `Enforce`); Kyverno wants Audit or Enforce. */
export function failureAction(mode: unknown): 'Audit' | 'Enforce' {
  return typeof mode === 'string' && mode.toLowerCase() === 'enforce' ? 'Enforce' : 'Audit';
}

/** The template a binding names: one of the binding's org first, else a shared platform template. */
function boundTemplate(binding: DesiredResource, ctx: ProjectionContext): DesiredResource | undefined {
  const name = refName(binding.object.spec.templateRef);
  if (!name) return undefined;
  return ctx.state.get('PolicyTemplate', binding.org, name) ?? (binding.org ? ctx.state.get('PolicyTemplate', null, name) : undefined);
}

const RULE_BODIES = ['validate', 'mutate', 'generate', 'verifyImages'];

/**
 * spec.kyverno holds a whole Policy document (`spec: {rules}`), a Policy spec (`rules: [...]`), or one rule
 * body (`validate:`, `mutate:`, ...). A rule body becomes one rule named after the template that matches the
 * template's targetKinds unless it brings its own match.
 */
function kyvernoSpec(template: DesiredResource): Record<string, unknown> {
  const kyverno = asRecord(template.object.spec.kyverno) ?? {};
  const inner = asRecord(kyverno.spec);
  if (inner && !('rules' in kyverno)) return structuredClone(inner);
  if ('rules' in kyverno || !RULE_BODIES.some((k) => k in kyverno)) return structuredClone(kyverno);
  const kinds = Array.isArray(template.object.spec.targetKinds) ? template.object.spec.targetKinds.map(String) : ['*'];
  const rule = { name: template.id.name, match: { any: [{ resources: { kinds } }] }, ...structuredClone(kyverno) };
  return { rules: [rule] };
}

export function policyName(bindingName: string): string {
  return `kradle-${bindingName}`;
}

/**
 * PolicyBinding: a Kyverno Policy in the org namespace built from the bound template's spec.kyverno,
 * with validationFailureAction from the binding's mode. The template's hash is annotated too, since a
 * template edit changes the Policy without changing the binding.
 */
export function projectPolicyBinding(r: DesiredResource, ctx: ProjectionContext): KubeObject[] {
  const template = boundTemplate(r, ctx);
  if (!template) return [];
  const spec = { ...kyvernoSpec(template), validationFailureAction: failureAction(r.object.spec.mode) };
  const meta = nativeMeta(r, policyName(r.id.name), r.id.namespace, {
    [TEMPLATE_ANNOTATION]: template.id.name,
    [TEMPLATE_HASH_ANNOTATION]: template.hash,
  });
  return [{ apiVersion: KYVERNO_POLICY_API, kind: 'Policy', metadata: meta, spec }];
}

/** An exception request is approved by a reviewed commit that sets `spec.approved: true`; nothing else counts. */
export function isApproved(r: DesiredResource): boolean {
  return r.object.spec.approved === true;
}

/** When the exception stops existing; an unparsable expiresAt counts as already expired (fail closed). */
export function exceptionExpiry(r: DesiredResource): Date {
  const at = Date.parse(String(r.object.spec.expiresAt ?? ''));
  return new Date(Number.isNaN(at) ? 0 : at);
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.length ? value.map(String) : undefined;
}

/** The policy an exception names: a PolicyBinding of the org (its projected Policy), else a Kyverno policy name. */
function exceptedPolicy(r: DesiredResource, ctx: ProjectionContext): { name: string; kinds?: string[] } | undefined {
  const ref = refName(r.object.spec.policyRef);
  if (!ref) return undefined;
  const binding = ctx.state.get('PolicyBinding', r.org, ref);
  if (!binding) return { name: ref };
  const template = boundTemplate(binding, ctx);
  return { name: `${r.id.namespace}/${policyName(ref)}`, kinds: stringList(template?.object.spec.targetKinds) };
}

/**
 * PolicyExceptionRequest, once approved and until expiresAt: a Kyverno PolicyException in the org namespace,
 * matching only resources of that namespace (a tenant never exempts another tenant's objects).
 * Rules default to all (`*`), kinds to the template's targetKinds; spec.ruleNames, spec.kinds and
 * spec.resourceNames narrow them. After expiry the projection yields nothing, so the next sync prunes it.
 */
export function projectPolicyException(r: DesiredResource, ctx: ProjectionContext): KubeObject[] {
  const spec = r.object.spec;
  const expiry = exceptionExpiry(r);
  if (!isApproved(r) || ctx.now.getTime() >= expiry.getTime()) return [];
  const policy = exceptedPolicy(r, ctx);
  if (!policy) return [];
  const names = stringList(spec.resourceNames);
  const resources = {
    kinds: stringList(spec.kinds) ?? policy.kinds ?? ['*'],
    namespaces: [r.id.namespace],
    ...(names ? { names } : {}),
  };
  const meta = nativeMeta(r, `kradle-${r.id.name}`, r.id.namespace, { [EXPIRES_AT_ANNOTATION]: expiry.toISOString() });
  return [
    {
      apiVersion: KYVERNO_EXCEPTION_API,
      kind: 'PolicyException',
      metadata: meta,
      spec: {
        exceptions: [{ policyName: policy.name, ruleNames: stringList(spec.ruleNames) ?? ['*'] }],
        match: { any: [{ resources }] },
      },
    },
  ];
}
