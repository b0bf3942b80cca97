/**
 * The web UI with a large project, in Debian's Chromium against `wfhub serve` on the embedded
 * database: how long the board takes to open with 2,000 tasks (target under 1.5 s), how long
 * "Show more" takes to draw a column's next page, how long a change made through the API takes to
 * show on the board, and how long a run's events take from the server recording them to the screen
 * (target under 100 ms), with a scripted model server streaming the run.
 * Run with `npm run bench` (or `npm run bench:web` after `npm run build`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cardsPerPage } from '../web/src/features/tasks/board-page.js';
import { FakeOllama } from '../test/fakes/fake-ollama.js';
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

const model = 'qwen2.5-coder:3b';
const ollama = await new FakeOllama().start();
const dir = mkdtempSync(path.join(tmpdir(), 'wfhub-bench-web-'));
const server = spawn(process.execPath, [bin, 'serve', '--port', String(port)], {
  cwd: dir,
  env: { PATH: process.env.PATH, WFHUB_LOG_LEVEL: 'warn', OLLAMA_HOST: ollama.url, WFHUB_MODEL: model },
  stdio: 'ignore',
});
// However this ends (an error, Ctrl-C), the server does not outlive the benchmark.
process.once('exit', () => server.kill('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
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
  // First render: from navigation to the board open, every column counting its tasks (2,000 in
  // all) and showing its first page of cards.
  const boardOpen = `(() => {
    const columns = [...document.querySelectorAll('.board section.column')];
    let total = 0;
    for (const column of columns) {
      const count = Number(column.querySelector('.count')?.textContent);
      total += count;
      if (column.querySelectorAll('.card').length < Math.min(count, ${cardsPerPage})) return false;
    }
    return columns.length > 0 && total === ${taskCount};
  })()`;
  const renders: number[] = [];
  for (let attempt = 0; attempt < 6; attempt++) {
    const started = performance.now();
    // A real load each time (going to the same address again would only change the hash).
    if (attempt === 0) await page.goto(`${base}/#/projects/${project.id}`);
    else await page.reload();
    await page.waitForFunction(boardOpen, undefined, { polling: 'raf', timeout: 30_000 }).catch(async (error) => {
      console.log(await page.evaluate(`[...document.querySelectorAll('.board section.column')].map((column) => column.getAttribute('aria-label') + ' ' + column.querySelectorAll('.card').length)`));
      throw error;
    });
    renders.push(performance.now() - started);
    // The first load also fills the browser's cache, as a user's second visit would.
  }
  await page.waitForFunction(`document.querySelector('[aria-label="Live updates"]')?.textContent === 'Live'`);

  // Scrolling a column of 500 to its end: from the scroll that brings its last drawn card on
  // screen to the frame showing the next page of cards, timed in the page.
  const pages: number[] = [];
  for (;;) {
    const ms = (await page.evaluate(`(async () => {
      const column = document.querySelector('section.column[aria-label^="todo"]');
      const cards = () => column.querySelectorAll('.card').length;
      const before = cards();
      if (!column.querySelector('li.more')) return null;
      const started = performance.now();
      column.querySelectorAll('.card')[before - 1].scrollIntoView({ block: 'end' });
      await new Promise((resolve, reject) => {
        const tick = () => (cards() > before ? requestAnimationFrame(resolve) : performance.now() - started > 10000 ? reject(new Error('no more cards drawn within 10 s')) : requestAnimationFrame(tick));
        tick();
      });
      return performance.now() - started;
    })()`)) as number | null;
    if (ms === null) break;
    pages.push(ms);
  }
  await page.evaluate('window.scrollTo(0, 0)');

  // Event to screen: a PATCH from outside (this process), until the frame that shows the card in
  // its new column; both times from this machine's clock.
  const tasks = (await call('GET', `/projects/${project.id}/tasks?limit=5000`)) as { id: number; status: string }[];
  const delays: number[] = [];
  for (let index = 0; index < 30; index++) {
    const task = tasks[index * 7]!;
    const target = task.status === 'blocked' ? 'failed' : 'blocked';
    await page.evaluate(`(() => {
      window.__shown = undefined;
      const tick = () => (document.querySelector('section[aria-label^="${target}"] [data-task-id="${task.id}"]') ? requestAnimationFrame(() => (window.__shown = Date.now())) : requestAnimationFrame(tick));
      tick();
    })()`);
    const sent = Date.now();
    await call('PATCH', `/tasks/${task.id}`, { status: target });
    const shown = (await (await page.waitForFunction('window.__shown', undefined, { timeout: 10_000 })).jsonValue()) as number;
    delays.push(shown - sent);
    task.status = target;
  }

  // A run's events to the screen: a run of a task of this project, opened in the task editor
  // while the scripted model waits, then streaming text in small pieces and calling tools. Each
  // event's time is the server's (`at` in GET /runs/{id}/events); the screen's is the first frame
  // after the transcript changed to show it, both read from this machine's clock.
  const runTask = await call('POST', '/tasks', { project_id: project.id, title: 'Write the greeting', status: 'todo' });
  const eventDelays: number[] = [];
  const words = 'The greeting goes in hello.py, which prints it once; the test checks the printed text. ';
  for (let runIndex = 0; runIndex < 3; runIndex++) {
    ollama.script(
      { firstByteDelayMs: 2000, text: words.repeat(3), chunkSize: 6, chunkDelayMs: 25, toolCalls: [{ name: 'write', arguments: { path: `hello${runIndex}.py`, content: 'print("hello")\n' } }] },
      { text: words, chunkSize: 6, chunkDelayMs: 25, toolCalls: [{ name: 'finish', arguments: { summary: 'Wrote the greeting.' } }] },
    );
    const run = await call('POST', `/tasks/${runTask.id}/trigger`, { model });
    await page.goto(`${base}/#/projects/${project.id}/tasks/${runTask.id}/runs/${run.id}`);
    await page.waitForFunction(`document.querySelector('.run-view .run-head')?.textContent.includes('live')`, undefined, { polling: 'raf', timeout: 10_000 });
    // Every change to the transcript, with what it then shows and when the next frame came.
    await page.evaluate(`(() => {
      const list = document.querySelector('.run-view .transcript');
      window.__seen = [];
      const note = () => {
        const text = [...list.querySelectorAll('.assistant')].map((item) => item.textContent).join('').length;
        const tools = list.querySelectorAll('.tool').length;
        const done = list.querySelectorAll('.tool-ok, .tool-failed').length;
        requestAnimationFrame(() => window.__seen.push({ at: Date.now(), text, tools, done }));
      };
      new MutationObserver(note).observe(list, { childList: true, subtree: true, characterData: true });
    })()`);
    const early = (await call('GET', `/runs/${run.id}/events?limit=1000`)) as { type: string }[];
    if (early.some((event) => event.type === 'llm.delta')) throw new Error(`run ${run.id} streamed before the page watched it: give the model a longer firstByteDelayMs`);
    await page.waitForFunction(`document.querySelector('.run-view [aria-label="Run status"]')?.textContent === 'succeeded'`, undefined, { timeout: 30_000 });
    const seen = (await page.evaluate('window.__seen')) as { at: number; text: number; tools: number; done: number }[];
    const events = (await call('GET', `/runs/${run.id}/events?limit=1000`)) as { type: string; at: string; data: { kind?: string; text?: string } }[];
    let text = 0;
    let tools = 0;
    let done = 0;
    for (const event of events) {
      if (event.type === 'llm.delta' && event.data.kind === 'text') text += event.data.text!.length;
      else if (event.type === 'tool.called') tools++;
      else if (event.type === 'tool.result') done++;
      else continue;
      const shown = seen.find((entry) => entry.text >= text && entry.tools >= tools && entry.done >= done);
      if (!shown) throw new Error(`run ${run.id}: a ${event.type} event never showed on screen`);
      eventDelays.push(shown.at - Date.parse(event.at));
    }
  }
  await browser.close();

  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}`);
  const spread = (values: number[]) => `p50 ${percentile(values, 0.5).toFixed(0)} ms, p95 ${percentile(values, 0.95).toFixed(0)} ms, max ${Math.max(...values).toFixed(0)} ms`;
  console.log(`board with ${taskCount} tasks, navigation to the board open: first load ${renders[0]!.toFixed(0)} ms; later loads median ${percentile(renders.slice(1), 0.5).toFixed(0)} ms (${renders.slice(1).map((ms) => ms.toFixed(0)).join(', ')})`);
  console.log(`a column of ${taskCount / 4} scrolled to its end, a page of ${cardsPerPage} cards drawn at each step (${pages.length} pages): ${spread(pages)}`);
  console.log(`a change through the API to the card in its new column (${delays.length} changes): ${spread(delays)}`);
  console.log(`a run's event recorded by the server to the frame showing it (${eventDelays.length} events over 3 runs): ${spread(eventDelays)}, min ${Math.min(...eventDelays).toFixed(0)} ms`);
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await ollama.stop();
  rmSync(dir, { recursive: true, force: true });
}
