/**
 * The web UI with a large project: how long the board takes to show 2,000 tasks on a fresh load
 * (target under 1.5 s), and how long a change made through the API takes to show on the board
 * (target under 100 ms), in Debian's Chromium against `wfhub serve` on the embedded database.
 * Run with `npm run bench` (or `npm run bench:web` after `npm run build`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchBrowser } from '../test/helpers/browser.js';

const taskCount = 2000;
const bin = path.resolve(import.meta.dirname, '../bin/wfhub.js');
const port = 18_900 + Math.floor(Math.random() * 300);
const base = `http://127.0.0.1:${port}`;
const percentile = (values: number[], share: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * share))]!;

async function call(method: string, url: string, body?: unknown): Promise<any> {
  const response = await fetch(`${base}${url}`, { method, ...(body !== undefined && { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
  if (!response.ok) throw new Error(`${method} ${url}: HTTP ${response.status} ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

const dir = mkdtempSync(path.join(tmpdir(), 'wfhub-bench-web-'));
const server = spawn(process.execPath, [bin, 'serve', '--port', String(port)], { cwd: dir, env: { PATH: process.env.PATH, WFHUB_LOG_LEVEL: 'warn' }, stdio: 'ignore' });
try {
  for (;;) {
    if (await fetch(`${base}/health`).then((response) => response.ok).catch(() => false)) break;
    if (server.exitCode !== null) throw new Error(`wfhub serve exited with ${server.exitCode}`);
    await sleep(20);
  }
  const project = await call('POST', '/projects', { name: 'Big board', workspace_path: 'big' });
  const statuses = ['todo', 'in_progress', 'review', 'done'];
  for (let index = 0; index < taskCount; index += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, offset) =>
        call('POST', '/tasks', { project_id: project.id, title: `Task ${index + offset + 1}: a title of a usual length`, status: statuses[(index + offset) % 4] }),
      ),
    );
  }

  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  // First render: from navigation to every card on the page.
  const renders: number[] = [];
  for (let attempt = 0; attempt < 6; attempt++) {
    const started = performance.now();
    // A real load each time (going to the same address again would only change the hash).
    if (attempt === 0) await page.goto(`${base}/#/projects/${project.id}`);
    else await page.reload();
    await page.waitForFunction(`document.querySelectorAll('.card').length === ${taskCount}`, undefined, { polling: 'raf', timeout: 30_000 });
    renders.push(performance.now() - started);
    // The first load also fills the browser's cache, as a user's second visit would.
  }
  await page.waitForFunction(`document.querySelector('[aria-label="Live updates"]')?.textContent === 'Live'`);

  // Event to screen: a PATCH from outside, until the card shows in its new column.
  const tasks = (await call('GET', `/projects/${project.id}/tasks?limit=5000`)) as { id: number; status: string }[];
  const delays: number[] = [];
  for (let index = 0; index < 30; index++) {
    const task = tasks[index * 7]!;
    const target = task.status === 'blocked' ? 'failed' : 'blocked';
    const seen = page.waitForFunction(
      `document.querySelector('section[aria-label^="${target}"] [data-task-id="${task.id}"]') !== null`,
      undefined,
      { polling: 'raf', timeout: 10_000 },
    );
    const started = performance.now();
    await call('PATCH', `/tasks/${task.id}`, { status: target });
    await seen;
    delays.push(performance.now() - started);
    task.status = target;
  }
  await browser.close();

  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}`);
  console.log(`board with ${taskCount} tasks, navigation to all cards drawn: first load ${renders[0]!.toFixed(0)} ms; later loads median ${percentile(renders.slice(1), 0.5).toFixed(0)} ms (${renders.slice(1).map((ms) => ms.toFixed(0)).join(', ')})`);
  console.log(`a change through the API to the card in its new column (${delays.length} changes): p50 ${percentile(delays, 0.5).toFixed(0)} ms, p95 ${percentile(delays, 0.95).toFixed(0)} ms, max ${Math.max(...delays).toFixed(0)} ms`);
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
