#!/usr/bin/env node
// A reference Kradle agent: follows the run contract (README "Run contract") and nothing more.
// It reads the run-context file, reports its steps, does its "work" (lists what it was asked to do) and
// calls back with the outcome. An agent image replaces the work; the contract around it stays the same.
// Plain Node 20, no dependencies: copy it into any image.
import { readFile } from 'node:fs/promises';

const EXIT_OK = 0;
const EXIT_FAILED = 1; // the work failed; the callback said so
const EXIT_CONTRACT = 2; // the contract could not be followed (no context, no token, callback refused)

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`reference-agent: ${name} is not set`);
    process.exit(EXIT_CONTRACT);
  }
  return v;
}

async function post(url, token, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${new URL(url).pathname} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

const token = need('KRADLE_RUN_TOKEN');
const context = JSON.parse(await readFile(need('KRADLE_RUN_CONTEXT'), 'utf8'));
const stepsUrl = process.env.KRADLE_STEPS_URL ?? context.callback.stepsUrl;
const callbackUrl = process.env.KRADLE_CALLBACK_URL ?? context.callback.url;

let outcome;
try {
  await post(stepsUrl, token, { steps: [{ event: 'started', stepKind: 'reasoning', stepId: 'plan' }] });
  const started = Date.now();
  // The "work": a real agent clones context.repository.cloneUrl at ref/commit into context.workspace.path,
  // prompts context.model with context.stack.prompt, and uses the tools, MCP servers and skills listed.
  const plan = {
    repository: context.repository.name,
    at: context.repository.commit ?? context.repository.ref,
    task: context.taskKind,
    tools: context.toolProfile?.name ?? null,
    mcpServers: context.mcpServers.map((s) => s.name),
    credentials: context.credentials.map((c) => c.env).filter((env) => process.env[env] !== undefined),
  };
  console.log(`reference-agent: ${JSON.stringify(plan)}`);
  await post(stepsUrl, token, { steps: [{ event: 'completed', stepKind: 'reasoning', stepId: 'plan', durationMs: Date.now() - started }] });
  outcome = { phase: 'Succeeded', exitCode: EXIT_OK, costUsd: 0 };
} catch (err) {
  outcome = { phase: 'Failed', exitCode: EXIT_FAILED, errorMessage: String(err?.message ?? err) };
}
try {
  await post(callbackUrl, token, outcome);
} catch (err) {
  console.error(`reference-agent: callback failed: ${err.message}`);
  process.exit(EXIT_CONTRACT);
}
process.exit(outcome.exitCode);
