/**
 * The agent harness's own cost per step, with a model that answers instantly: the loop, the
 * context window, a real tool call in a real folder, and every event persisted (inserted into the
 * embedded database through RunService, one row per event, as runs record them). Target: under
 * 5 ms per step.
 * Also measured through the real Ollama provider against a local HTTP server answering at once
 * (adds HTTP and NDJSON parsing). Run with `npm run bench:agent`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { OllamaProvider } from '../src/agent/llm/ollama/ollama-provider.js';
import type { LlmProvider } from '../src/agent/llm/provider.js';
import type { AgentEvent } from '../src/agent/loop/agent-events.js';
import { runAgent } from '../src/agent/loop/agent-loop.js';
import { createServices } from '../src/app/services.js';
import { loadConfig } from '../src/config/config.js';
import type { Database } from '../src/db/database.js';
import { migratePgliteDatabase } from '../src/db/migrate.js';
import * as schema from '../src/db/schema.js';
import { workspaceTools } from '../src/agent/tools/workspace-tools.js';
import { FakeOllama } from '../test/fakes/fake-ollama.js';
import { InstantProvider, type InstantReply } from '../test/fakes/instant-provider.js';

const steps = 400;

/** Each step reads or writes a small file, never the same call twice in a row. */
function script(step: number): InstantReply {
  if (step > steps) return { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };
  const file = `src/file-${step % 20}.ts`;
  return step % 2 === 0
    ? { text: 'Reading.', toolCalls: [{ name: 'read', arguments: { path: file } }] }
    : { toolCalls: [{ name: 'write', arguments: { path: file, content: `export const value${step} = ${step};\n`.repeat(20) } }] };
}

async function measure(label: string, provider: LlmProvider, storage: (() => Promise<(event: AgentEvent) => Promise<void>>) | undefined) {
  const persist = await storage?.();
  const root = mkdtempSync(path.join(tmpdir(), 'wfhub-bench-ws-'));
  mkdirSync(path.join(root, 'src'));
  writeFileSync(path.join(root, 'README.md'), '# bench\n');
  let events = 0;
  const started = performance.now();
  const result = await runAgent({
    provider,
    model: 'qwen2.5-coder:3b',
    root,
    message: 'Edit the files.',
    tools: workspaceTools(),
    sandbox: { mode: 'off', allowNetwork: false, hiddenPaths: [], secretVariables: [] },
    numCtxCap: 16384,
    protocol: 'native',
    limits: { maxSteps: steps + 10, maxWallMs: 600_000 },
    onEvent: async (event) => {
      events++;
      await persist?.(event);
    },
  });
  const ms = performance.now() - started;
  rmSync(root, { recursive: true, force: true });
  if (result.status !== 'succeeded') throw new Error(`${label}: the run ended ${result.status}: ${result.stop.message}`);
  const perStep = ms / result.usage.steps;
  if (!label.startsWith('(')) console.log(`| ${label} | ${result.usage.steps} | ${events} | ${perStep.toFixed(2)} | ${(ms / events).toFixed(3)} |`);
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'wfhub-bench-db-'));
const client = await PGlite.create(path.join(dataDir, 'db'));
const db = drizzle({ client, schema }) as unknown as Database;
await migratePgliteDatabase(db as never);
// Events are stored the way runs store them: RunService.appendEvent into run_events.
const services = createServices(db, { kind: 'pglite', client }, loadConfig({ env: {}, dotenv: false, cwd: dataDir }));
const project = await services.projects.create({ name: 'Bench', workspace_path: 'bench' });
/** A new run (of a new task) for each measurement, its events stored as runs store them. */
const persist = async () => {
  const task = await services.tasks.create({ project_id: project.id, title: 'Bench' });
  const run = await services.runs.create(task.id, {}, async () => {});
  return async (event: AgentEvent) => {
    await services.runs.appendEvent(run.id, { seq: event.seq, type: event.type, data: event as unknown as Record<string, unknown> });
  };
};
const ollama = await new FakeOllama().start();
ollama.models = [{ name: 'qwen2.5-coder:3b', capabilities: ['completion', 'tools'], contextLength: 32768 }];

console.log(`Machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}\n`);
console.log('| harness | steps | events | ms per step | ms per event |');
console.log('| --- | --- | --- | --- | --- |');
// A first run warms the JIT and the file cache; it is not reported.
await measure('(warm-up)', new InstantProvider(script), persist).catch(() => undefined);
await measure('loop + tools, events not stored', new InstantProvider(script), undefined);
await measure('loop + tools + every event stored in the embedded database', new InstantProvider(script), persist);
for (let step = 1; step <= steps + 1; step++) {
  const reply = script(step);
  ollama.script({ text: reply.text, toolCalls: reply.toolCalls });
}
await measure('the same through the Ollama provider over local HTTP', new OllamaProvider({ baseUrl: ollama.url, timeouts: { connectMs: 5000, firstTokenMs: 5000, idleMs: 5000, totalMs: 30_000 } }), persist);
console.log(`\nResident memory at the end: ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`);

await ollama.stop();
await client.close();
rmSync(dataDir, { recursive: true, force: true });
