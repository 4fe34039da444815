import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import ts from 'typescript';
import { agentRouteDefs } from '../../src/agents/routes.ts';
import type { RouteDef } from '../../src/api/index.ts';
import { createStore } from '../../src/store/index.ts';
// @ts-expect-error: a browser module in plain JavaScript; it needs nothing of the browser until it is called.
import { ENDPOINTS } from '../../src/console/public/api.js';
import { client, startApi } from '../support/api-client.ts';
import { fakeConfig, fakeSync } from '../support/api-fakes.ts';

// The CLI and the console are read as source: every request they can make (method, path, the query and body
// fields they send, and for the CLI the fields of the answer it declares) must be an operation of the
// /openapi.json the server serves. A new request that is not documented, or a documented answer that lost a
// field a client reads, fails here, so the document, the CLI and the console cannot drift apart.

interface Request {
  where: string;
  method: string;
  path: string;
  query: string[];
  body: string[];
  /** Top-level fields of the answer the caller reads. */
  reads: string[];
}

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n), ext) : ext.test(n) ? [join(dir, n)] : []));
}

function sourceOf(path: string): ts.SourceFile {
  return ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true, path.endsWith('.js') ? ts.ScriptKind.JS : ts.ScriptKind.TS);
}

function visit(node: ts.Node, fn: (n: ts.Node) => void): void {
  fn(node);
  node.forEachChild((c) => visit(c, fn));
}

const keysOf = (o: ts.ObjectLiteralExpression | undefined): string[] =>
  (o?.properties ?? []).flatMap((p) => (p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? [p.name.text] : []));

function objectProp(o: ts.Expression | undefined, name: string): ts.ObjectLiteralExpression | undefined {
  if (!o || !ts.isObjectLiteralExpression(o)) return undefined;
  const p = o.properties.find((x) => x.name && ts.isIdentifier(x.name) && x.name.text === name);
  return p && ts.isPropertyAssignment(p) && ts.isObjectLiteralExpression(p.initializer) ? p.initializer : undefined;
}

/** `'/api/x?y=1'`, `` `...` `` or apiPath`/api/orgs/${org}/x` as `/api/orgs/{}/x` plus its query keys; undefined when not literal. */
function pathOf(e: ts.Expression): { path: string; query: string[] } | undefined {
  let text: string | undefined;
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) text = e.text;
  else if (ts.isTaggedTemplateExpression(e) && ts.isIdentifier(e.tag) && e.tag.text === 'apiPath') {
    const t = e.template;
    text = ts.isNoSubstitutionTemplateLiteral(t) ? t.text : t.head.text + t.templateSpans.map((s) => `{}${s.literal.text}`).join('');
  }
  if (text === undefined) return undefined;
  const [path, q = ''] = text.split('?');
  return { path: path!, query: [...new URLSearchParams(q).keys()] };
}

/** The property names of a type argument: a type literal, an interface or type alias of the same file, or an intersection. */
function fieldsOf(type: ts.TypeNode | undefined, file: ts.SourceFile): string[] {
  if (!type) return [];
  if (ts.isTypeLiteralNode(type)) return type.members.flatMap((m) => (m.name && ts.isIdentifier(m.name) ? [m.name.text] : []));
  if (ts.isIntersectionTypeNode(type)) return type.types.flatMap((t) => fieldsOf(t, file));
  if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName)) {
    const name = type.typeName.text;
    for (const s of file.statements) {
      if (ts.isInterfaceDeclaration(s) && s.name.text === name) return s.members.flatMap((m) => (m.name && ts.isIdentifier(m.name) ? [m.name.text] : []));
      if (ts.isTypeAliasDeclaration(s) && s.name.text === name) return fieldsOf(s.type, file);
    }
  }
  return [];
}

/** The nearest enclosing block (or file) of a node: where a variable it declares is used. */
function scopeOf(n: ts.Node): ts.Node {
  let s = n.parent;
  while (!ts.isBlock(s) && !ts.isSourceFile(s)) s = s.parent;
  return s;
}

/** Fields read from variable `name` in `scope` (`name.x`, `const { x } = name`); undefined when it escapes whole. */
function usesOf(name: string, scope: ts.Node, decl: ts.Node): string[] | undefined {
  const out: string[] = [];
  let escapes = false;
  visit(scope, (n) => {
    if (!ts.isIdentifier(n) || n.text !== name || n === decl || n.parent === decl) return;
    const p = n.parent;
    // A property or key that happens to share the name (`doc.body`, `{ body: x }`) is not the variable.
    if ((ts.isPropertyAccessExpression(p) && p.name === n) || (ts.isPropertyAssignment(p) && p.name === n)) return;
    if (ts.isPropertyAccessExpression(p) && p.expression === n) out.push(p.name.text);
    else if (ts.isVariableDeclaration(p) && p.initializer === n && ts.isObjectBindingPattern(p.name)) {
      // `const { token, ...info } = body`: the rest is handed on whole.
      if (p.name.elements.some((e) => e.dotDotDotToken)) escapes = true;
      out.push(...p.name.elements.filter((e) => !e.dotDotDotToken).map((e) => (e.propertyName ?? e.name).getText()));
    }
    else if (!ts.isBindingElement(p)) escapes = true;
  });
  return escapes ? undefined : out;
}

/**
 * The answer fields a request's caller reads: followed through `(await r).body.x`, `const { body } = await r`
 * and `const v = (await r).body`; when the body is handed on whole, the fields its declared type lists.
 */
function readsOf(call: ts.CallExpression, file: ts.SourceFile): string[] {
  const declared = fieldsOf(call.typeArguments?.[0], file);
  let top: ts.Node = call;
  while (ts.isAwaitExpression(top.parent) || ts.isParenthesizedExpression(top.parent)) top = top.parent;
  const p = top.parent;
  const follow = (decl: ts.VariableDeclaration | ts.BindingElement, id: ts.Identifier) => usesOf(id.text, scopeOf(decl), id) ?? declared;
  if (ts.isPropertyAccessExpression(p) && p.name.text === 'body') {
    const gp = p.parent;
    if (ts.isPropertyAccessExpression(gp) && gp.expression === p) return [gp.name.text];
    if (ts.isVariableDeclaration(gp) && ts.isIdentifier(gp.name)) return follow(gp, gp.name);
    if (ts.isVariableDeclaration(gp) && ts.isObjectBindingPattern(gp.name)) return gp.name.elements.map((e) => (e.propertyName ?? e.name).getText());
    return declared;
  }
  if (ts.isVariableDeclaration(p) && ts.isObjectBindingPattern(p.name)) {
    const el = p.name.elements.find((e) => (e.propertyName ?? e.name).getText() === 'body');
    if (el && ts.isIdentifier(el.name)) return follow(el, el.name);
  }
  return declared;
}

/** Every `x.request<T>(METHOD, path, { query, body })` of the CLI. */
function cliRequests(): { requests: Request[]; unreadable: string[] } {
  const requests: Request[] = [];
  const unreadable: string[] = [];
  for (const path of files('src/cli', /\.ts$/)) {
    const file = sourceOf(path);
    visit(file, (n) => {
      if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression) || n.expression.name.text !== 'request') return;
      const where = `${path}:${file.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
      const [method, target, init] = n.arguments;
      const p = target && pathOf(target);
      if (!method || !ts.isStringLiteral(method) || !p) {
        unreadable.push(where);
        return;
      }
      requests.push({
        where, method: method.text, path: p.path, query: [...p.query, ...keysOf(objectProp(init, 'query'))], body: keysOf(objectProp(init, 'body')),
        reads: readsOf(n, file),
      });
    });
  }
  return { requests, unreadable };
}

/** Every `call('endpoint', { query, body })` of the console, with the endpoint's method and path. */
function consoleRequests(): { requests: Request[]; unreadable: string[] } {
  const requests: Request[] = [];
  const unreadable: string[] = [];
  for (const path of files('src/console/public', /\.js$/)) {
    const file = sourceOf(path);
    visit(file, (n) => {
      if (!ts.isCallExpression(n) || !ts.isIdentifier(n.expression) || n.expression.text !== 'call') return;
      const where = `${path}:${file.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
      const [name, init] = n.arguments;
      // call('a', ...) or call(x ? 'a' : 'b', ...); the body may differ by branch, so each branch's literal counts.
      const names = name && ts.isConditionalExpression(name) ? [name.whenTrue, name.whenFalse] : name ? [name] : [];
      const bodyOf = (i: number) => {
        const b = init && ts.isObjectLiteralExpression(init) ? init.properties.find((x) => x.name?.getText() === 'body') : undefined;
        const e = b && ts.isPropertyAssignment(b) ? b.initializer : undefined;
        const branch = e && ts.isConditionalExpression(e) ? [e.whenTrue, e.whenFalse][i] : e;
        return branch && ts.isObjectLiteralExpression(branch) ? keysOf(branch) : [];
      };
      names.forEach((nm, i) => {
        const endpoint = ts.isStringLiteral(nm) ? (ENDPOINTS as Record<string, [string, string]>)[nm.text] : undefined;
        if (!endpoint) unreadable.push(where);
        else requests.push({ where, method: endpoint[0], path: endpoint[1], query: keysOf(objectProp(init, 'query')), body: bodyOf(names.length > 1 ? i : 0), reads: [] });
      });
      if (!names.length) unreadable.push(where);
    });
  }
  return { requests, unreadable };
}

const segments = (path: string) => path.replace(/\{\w*\}/g, '{}');

function resolve(doc: any, schema: any): any {
  return schema?.$ref ? resolve(doc, doc.components.schemas[schema.$ref.split('/').pop()]) : schema;
}

/** The named properties of a schema, or undefined when it does not list them (free-form, anyOf of kinds). */
function propertiesOf(doc: any, schema: any): string[] | undefined {
  const s = resolve(doc, schema);
  return s?.properties && !s.additionalProperties ? Object.keys(s.properties) : undefined;
}

let doc: any;
test.before(async () => {
  const store = createStore({ dataDir: 'memory://' });
  await store.migrate();
  const api = await startApi({ store, config: fakeConfig([]), sync: fakeSync(), extraRoutes: agentRouteDefs({} as never) as unknown as RouteDef[] });
  doc = (await client(api.url).get('/openapi.json')).body;
  await api.close();
  await store.close();
});

/** What of the requests the document does not hold, one line each (all of them at once, to fix in one go). */
function undocumented(requests: Request[]): string[] {
  const problems: string[] = [];
  const byPath = new Map(Object.entries(doc.paths as Record<string, Record<string, any>>).map(([p, ops]) => [segments(p), ops]));
  for (const r of requests) {
    const what = `${r.where}: ${r.method} ${r.path}`;
    const op = byPath.get(segments(r.path))?.[r.method.toLowerCase()];
    if (!op) {
      problems.push(`${what} is not an operation of /openapi.json`);
      continue;
    }
    const documented = new Set((op.parameters ?? []).filter((p: any) => p.in === 'query').map((p: any) => p.name));
    for (const q of r.query) if (!documented.has(q)) problems.push(`${what}: query parameter ${q} is not documented`);
    const body = propertiesOf(doc, op.requestBody?.content?.['application/json']?.schema);
    if (body) for (const f of r.body) if (!body.includes(f)) problems.push(`${what}: body field ${f} is not documented`);
    const ok = Object.entries(op.responses).find(([code]) => /^2\d\d$/.test(code))?.[1] as any;
    const answer = propertiesOf(doc, ok?.content?.['application/json']?.schema);
    if (r.reads.length && !answer && resolve(doc, ok?.content?.['application/json']?.schema)?.anyOf === undefined) problems.push(`${what}: the answer it reads (${r.reads.join(', ')}) has no documented fields`);
    if (answer) for (const f of r.reads) if (!answer.includes(f)) problems.push(`${what}: answer field ${f} is not documented`);
  }
  return [...new Set(problems)];
}

test('every request the CLI makes, with the query and body fields it sends and the answer fields it reads, is in /openapi.json', (t) => {
  const { requests, unreadable } = cliRequests();
  t.deepEqual(unreadable, [], 'write a request as request(\'METHOD\', \'/path\' | apiPath`/path/${x}`, ...) so it can be checked');
  t.true(requests.length >= 15, `found ${requests.length} requests`);
  t.true(requests.some((r) => r.path === '/api/orgs/{}/resources' && r.query.includes('mode')), 'the scan reads query objects');
  t.deepEqual(undocumented(requests), []);
});

test('every request the console makes, with the query and body fields it sends, is in /openapi.json', (t) => {
  const { requests, unreadable } = consoleRequests();
  t.deepEqual(unreadable, [], 'every console call names an endpoint of ENDPOINTS');
  t.true(requests.length >= 15, `found ${requests.length} requests`);
  t.true(requests.some((r) => r.path === '/api/orgs/{org}/resource-index' && r.query.includes('status')), 'the scan reads query objects');
  t.deepEqual(undocumented(requests), []);
});
