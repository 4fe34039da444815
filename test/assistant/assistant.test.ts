import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createStore, type Store } from '../../src/store/index.ts';
import { client, makeToken, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSecrets, fakeSync, fakeWriter } from '../support/api-fakes.ts';
import { testDrivers, uniqueName, type TestDriver } from '../support/store.ts';
import { startFakeOpenAi } from './fake-openai.ts';

const KEY = 'sk-test-9f8e7d6c5b4a39281706';

const fake = startFakeOpenAi();
test.after.always(async () => (await fake).close());

function orgDocs(org: string, apiBase: string) {
  const provider = { provider: 'openai', authType: 'api-key', apiBase, credentialRef: { name: 'llm-key', key: 'apiKey' } };
  return [
    doc('Organization', org, org, { displayName: org, slug: org }),
    doc('AgentProviderConfig', org, 'main', { ...provider, default: true, defaultModel: 'gpt-test', modelTranslations: { fast: 'gpt-4o-mini' }, allowTools: true }),
    doc('AgentProviderConfig', org, 'slow', { ...provider, defaultModel: 'gpt-test', timeoutSeconds: 1 }),
    doc('AgentProviderConfig', org, 'ungranted', { ...provider, defaultModel: 'gpt-test', credentialRef: { name: 'other-key', key: 'apiKey' } }),
    doc('AgentSecretGrant', org, 'llm', { subject: 'assistant', secretRef: 'llm-key', purpose: 'assistant' }),
    doc('AgentStack', org, 'fixer', { baseAgent: 'claude-code', adapter: 'mux', runtimeIdentity: 'bot' }),
  ];
}

/** Every log line the API writes, to look for the key in. */
function capturedLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
  return { logger, lines };
}

async function startWorld(store: Store, org: string) {
  const f = await fake;
  const config = fakeConfig(orgDocs(org, `${f.url}/v1`));
  const secrets = fakeSecrets();
  await secrets.put(org, 'llm-key', { apiKey: KEY });
  await secrets.put(org, 'other-key', { apiKey: 'sk-other-0000000000000000' });
  const log = capturedLogger();
  const api = await startApi({ store, config, sync: fakeSync(), writer: fakeWriter(config), secrets, logger: log.logger });
  const c = client(api.url, await makeToken(api.app, org, 'writer', 'alice'));
  return { f, api, c, log, reader: client(api.url, await makeToken(api.app, org, 'reader', 'rita')) };
}

interface Event {
  event: string;
  data: any;
}

async function chat(url: string, token: string, org: string, body: unknown): Promise<{ status: number; headers: Headers; events: Event[]; json?: any; text: string }> {
  const res = await fetch(`${url}/api/orgs/${org}/assistant/chat`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) return { status: res.status, headers: res.headers, events: [], json: JSON.parse(text), text };
  const events = text.split('\n\n').filter(Boolean).map((block) => {
    const lines = block.split('\n');
    return { event: lines.find((l) => l.startsWith('event: '))!.slice(7), data: JSON.parse(lines.find((l) => l.startsWith('data: '))!.slice(6)) };
  });
  return { status: res.status, headers: res.headers, events, text };
}

// One store per driver for the file (PGlite costs ~2 s and ~850 MB to start).
const drivers = testDrivers(test);
for (const d of drivers) suite(d);

function suite(d: TestDriver) {
  test.serial(`${d.name}: chat streams the provider's chunks as SSE, keeps the session, and sends its history on the next turn`, async (t) => {
    const org = uniqueName('as');
    const w = await startWorld(await d.store(), org);
    t.teardown(() => w.api.close());
    const token = await makeToken(w.api.app, org, 'writer', 'alice');
    w.f.script.push({ kind: 'stream', chunks: ['Hel', 'lo', ' there'] });
    const first = await chat(w.api.url, token, org, { sessionId: 's1', messages: [{ role: 'user', content: 'hi' }], system: 'be brief', model: 'fast' });
    t.is(first.status, 200);
    t.deepEqual(first.events.filter((e) => e.event === 'delta').map((e) => e.data.text), ['Hel', 'lo', ' there']);
    t.like(first.events.at(-1), { event: 'done', data: { sessionId: 's1', model: 'gpt-4o-mini', message: { role: 'assistant', content: 'Hello there' } } });
    const sent = w.f.seen.at(-1)!;
    t.is(sent.authorization, `Bearer ${KEY}`);
    t.like(sent.body, { model: 'gpt-4o-mini', stream: true });
    t.deepEqual(sent.body.messages, [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }]);

    w.f.script.push({ kind: 'stream', chunks: ['again'] });
    const second = await chat(w.api.url, token, org, { sessionId: 's1', messages: [{ role: 'user', content: 'and?' }] });
    t.is(second.status, 200);
    t.deepEqual(w.f.seen.at(-1)!.body.messages, [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'Hello there' }, { role: 'user', content: 'and?' }]);

    const listed = await w.reader.get(`/api/orgs/${org}/assistant/sessions`);
    t.is(listed.status, 200);
    t.like(listed.body.sessions, [{ id: 's1', messages: 4 }]);
    t.is((await w.reader.del(`/api/orgs/${org}/assistant/sessions/s1`)).status, 403);
    t.is((await w.c.del(`/api/orgs/${org}/assistant/sessions/s1`)).status, 200);
    t.deepEqual((await w.c.get(`/api/orgs/${org}/assistant/sessions`)).body, { sessions: [] });
    t.is((await w.c.del(`/api/orgs/${org}/assistant/sessions/s1`)).status, 404);
    w.f.script.push({ kind: 'stream', chunks: ['fresh'] });
    await chat(w.api.url, token, org, { sessionId: 's1', messages: [{ role: 'user', content: 'new start' }] });
    t.deepEqual(w.f.seen.at(-1)!.body.messages, [{ role: 'user', content: 'new start' }], 'a cleared session starts empty');
  });

  test.serial(`${d.name}: provider failures map to the envelope (502, 504, 429 with Retry-After); neither the provider's body nor the key leaks`, async (t) => {
    const org = uniqueName('af');
    const store = await d.store();
    const w = await startWorld(store, org);
    t.teardown(() => w.api.close());
    const token = await makeToken(w.api.app, org, 'writer', 'alice');
    const turn = { sessionId: 'f1', messages: [{ role: 'user', content: 'hi' }] };
    w.f.script.push({ kind: 'fail', status: 500, body: `{"error":"upstream exploded; request had Authorization: Bearer ${KEY}"}` });
    const failed = await chat(w.api.url, token, org, turn);
    t.is(failed.status, 502);
    t.is(failed.json.error.code, 'UPSTREAM_FAILED');
    t.regex(failed.json.error.message, /model provider main answered 500/);

    w.f.script.push({ kind: 'rate', retryAfter: '7' });
    const limited = await chat(w.api.url, token, org, turn);
    t.is(limited.status, 429);
    t.is(limited.headers.get('retry-after'), '7');
    t.is(limited.json.error.code, 'RATE_LIMITED');

    w.f.script.push({ kind: 'hang' });
    const slow = await chat(w.api.url, token, org, { ...turn, provider: 'slow' });
    t.is(slow.status, 504);
    t.is(slow.json.error.code, 'PROVIDER_TIMEOUT');

    w.f.script.push({ kind: 'rate', retryAfter: '3' });
    const gen = await w.c.post(`/api/orgs/${org}/assistant/generate`, { prompt: 'x' });
    t.is(gen.status, 429);
    t.is(gen.headers.get('retry-after'), '3');

    const ungranted = await chat(w.api.url, token, org, { ...turn, provider: 'ungranted' });
    t.is(ungranted.status, 403);
    t.is(ungranted.json.error.code, 'SECRET_NOT_GRANTED');
    t.is((await chat(w.api.url, token, org, { sessionId: 'bad id!', messages: turn.messages })).status, 422);
    t.is((await chat(w.api.url, token, org, { sessionId: 'f2', messages: [{ role: 'robot', content: 1 }] })).status, 422);
    t.is((await chat(w.api.url, await makeToken(w.api.app, org, 'reader'), org, turn)).status, 403);
    t.is((await chat(w.api.url, await makeToken(w.api.app, uniqueName('zz'), 'writer'), org, turn)).status, 403);
    t.deepEqual((await w.c.get(`/api/orgs/${org}/assistant/sessions`)).body, { sessions: [] }, 'a failed turn stores nothing');

    const everything = [failed.text, limited.text, slow.text, JSON.stringify(gen.body), ungranted.text, ...w.log.lines,
      JSON.stringify(await store.events.since(0, { org })), JSON.stringify(await store.audit.query({ org })),
      JSON.stringify(await store.query('SELECT * FROM assistant_messages')), JSON.stringify(await store.query('SELECT * FROM assistant_artifacts'))].join('\n');
    t.false(everything.includes(KEY));
    t.false(everything.includes('upstream exploded'));
    t.false(everything.includes('slow down'));
  });

  test.serial(`${d.name}: generate returns JSON matching the schema as an artifact; a chat uses the MCP tools as the caller when the provider allows them`, async (t) => {
    const org = uniqueName('ag');
    const w = await startWorld(await d.store(), org);
    t.teardown(() => w.api.close());
    const token = await makeToken(w.api.app, org, 'writer', 'alice');
    const schema = { type: 'object', required: ['name'], properties: { name: { type: 'string' } } };
    w.f.script.push({ kind: 'json', content: '{"name":"reviewer"}' });
    const gen = await w.c.post(`/api/orgs/${org}/assistant/generate`, { prompt: 'name a stack', schema });
    t.is(gen.status, 200);
    t.like(gen.body, { model: 'gpt-test', output: { name: 'reviewer' } });
    t.like(w.f.seen.at(-1)!.body, { stream: false, response_format: { type: 'json_schema', json_schema: { schema } } });
    t.like((await w.reader.get(`/api/orgs/${org}/assistant/artifacts/${gen.body.id}`)).body, { id: gen.body.id, kind: 'json', content: { name: 'reviewer' } });
    t.is((await w.reader.get(`/api/orgs/${org}/assistant/artifacts/00000000-0000-0000-0000-000000000000`)).status, 404);
    w.f.script.push({ kind: 'json', content: '{"title":1}' });
    t.is((await w.c.post(`/api/orgs/${org}/assistant/generate`, { prompt: 'x', schema })).status, 502);
    t.is((await w.c.post(`/api/orgs/${org}/assistant/generate`, {})).status, 422);

    w.f.script.push({ kind: 'tool', name: 'kradle_list_stacks', arguments: { org: 'someone-else' }, stream: true }, { kind: 'stream', chunks: ['You have fixer.'] });
    const withTools = await chat(w.api.url, token, org, { sessionId: 't1', messages: [{ role: 'user', content: 'stacks?' }], tools: ['kradle_list_stacks'] });
    t.is(withTools.status, 200);
    t.deepEqual(withTools.events.map((e) => e.event), ['tool', 'delta', 'done']);
    t.like(withTools.events[0]!.data, { name: 'kradle_list_stacks', isError: false });
    const offered = w.f.seen.at(-2)!.body.tools;
    t.deepEqual(offered.map((x: any) => x.function.name), ['kradle_list_stacks']);
    const toolAnswer = w.f.seen.at(-1)!.body.messages.find((m: any) => m.role === 'tool');
    t.is(toolAnswer.tool_call_id, 'call_1');
    t.is(JSON.parse(toolAnswer.content).items[0].name, 'fixer', 'the tool ran in the caller\'s org, not the one the model named');

    // A chat costs money and may write through tools: a reader may not start one.
    t.is((await chat(w.api.url, await makeToken(w.api.app, org, 'reader'), org, { sessionId: 't2', messages: [{ role: 'user', content: 'x' }], tools: ['kradle_create_stack'] })).status, 403);
    const notAllowed = await chat(w.api.url, token, org, { sessionId: 't3', messages: [{ role: 'user', content: 'x' }], tools: ['kradle_list_stacks'], provider: 'slow' });
    t.is(notAllowed.status, 403);
    t.is(notAllowed.json.error.code, 'TOOLS_NOT_ALLOWED');
    t.is((await chat(w.api.url, token, org, { sessionId: 't4', messages: [{ role: 'user', content: 'x' }], tools: ['rm_rf'] })).status, 400);
  });
}

for (const d of drivers) {
  test.serial(`${d.name}: a session survives a restart: a new store and API on the same database list it and send its history`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'kradle-assistant-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const org = uniqueName('ar');
    // PGlite: a data directory on disk, closed and opened again; a server: a second connection pool on the test's schema.
    const options = d.name === 'pglite' ? { dataDir: join(dir, 'data') } : d.options;
    const open = async () => {
      const store = createStore(options);
      await store.migrate();
      return store;
    };
    const store1 = await open();
    const w1 = await startWorld(store1, org);
    w1.f.script.push({ kind: 'stream', chunks: ['remembered'] });
    t.is((await chat(w1.api.url, await makeToken(w1.api.app, org, 'writer'), org, { sessionId: 'keep', messages: [{ role: 'user', content: 'remember me' }] })).status, 200);
    await w1.api.close();
    await store1.close();

    const store2 = await open();
    const w2 = await startWorld(store2, org);
    t.teardown(async () => {
      await w2.api.close();
      await store2.close();
    });
    t.like((await w2.c.get(`/api/orgs/${org}/assistant/sessions`)).body.sessions, [{ id: 'keep', messages: 2 }]);
    w2.f.script.push({ kind: 'stream', chunks: ['yes'] });
    await chat(w2.api.url, await makeToken(w2.api.app, org, 'writer'), org, { sessionId: 'keep', messages: [{ role: 'user', content: 'do you?' }] });
    t.deepEqual(w2.f.seen.at(-1)!.body.messages.map((m: any) => m.content), ['remember me', 'remembered', 'do you?']);
  });
}
