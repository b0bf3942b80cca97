/**
 * How long `wfhub serve` takes to answer /health: on a new data dir (the embedded database is
 * created) and on an existing one (the target is under 2 s). Also the latency of common API calls
 * against the running server. Run with `npm run bench`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const bin = path.resolve(import.meta.dirname, '../bin/wfhub.js');
const port = 18_600 + Math.floor(Math.random() * 300);

async function startAndTime(dir: string): Promise<{ ms: number; stop: () => Promise<void> }> {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, 'serve', '--port', String(port)], {
    cwd: dir,
    env: { PATH: process.env.PATH, WFHUB_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`wfhub serve exited with ${child.exitCode}`);
    await sleep(10);
  }
  const ms = performance.now() - started;
  return {
    ms,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function latency(label: string, count: number, call: (index: number) => Promise<Response>) {
  const times: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    const response = await call(index);
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${label}: HTTP ${response.status}`);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { label, count, p50: times[Math.floor(count * 0.5)]!, p95: times[Math.floor(count * 0.95)]! };
}

const dir = mkdtempSync(path.join(tmpdir(), 'wfhub-bench-'));
try {
  const first = await startAndTime(dir);
  await first.stop();
  const warm: number[] = [];
  for (let run = 0; run < 5; run++) {
    const server = await startAndTime(dir);
    warm.push(server.ms);
    await server.stop();
  }

  const server = await startAndTime(dir);
  const base = `http://127.0.0.1:${port}`;
  const json = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  await fetch(`${base}/projects`, json({ name: 'Bench', workspace_path: 'bench' }));
  const results = [
    await latency('POST /tasks', 500, (index) => fetch(`${base}/tasks`, json({ project_id: 1, title: `task ${index}` }))),
    await latency('GET /tasks/{id}', 500, (index) => fetch(`${base}/tasks/${(index % 500) + 1}`)),
    await latency('PATCH /tasks/{id}', 200, (index) =>
      fetch(`${base}/tasks/${(index % 500) + 1}`, { ...json({ status: 'review' }), method: 'PATCH' }),
    ),
    await latency('GET /projects/{id}/tasks (500 tasks)', 50, () => fetch(`${base}/projects/1/tasks?limit=5000`)),
  ];
  await server.stop();

  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}`);
  console.log(`first start (creates the embedded database): ${first.ms.toFixed(0)} ms`);
  console.log(`start on an existing data dir, to /health answering: median ${median(warm).toFixed(0)} ms of ${warm.map((ms) => ms.toFixed(0)).join(', ')}`);
  console.log('\n| call | count | p50 ms | p95 ms |\n| --- | --- | --- | --- |');
  for (const result of results) console.log(`| ${result.label} | ${result.count} | ${result.p50.toFixed(1)} | ${result.p95.toFixed(1)} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
