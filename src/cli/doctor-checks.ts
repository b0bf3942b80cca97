import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { createProvider } from '../agent/llm/create-provider.js';
import { ripgrepBinary } from '../agent/tools/ripgrep.js';
import { detectBubblewrap } from '../agent/tools/sandbox.js';
import type { Config } from '../config/config.js';
import { readLock } from '../db/data-dir-lock.js';
import { redactUrl } from '../db/open-database.js';

const run = promisify(execFile);

/** ok: nothing to do; warn: works, but not as well as it could; fail: something wfhub needs is missing. */
export type DoctorStatus = 'ok' | 'warn' | 'fail';

export interface DoctorFinding {
  check: string;
  status: DoctorStatus;
  /** What was found. */
  message: string;
  /** What to do about it, when something is to be done. */
  fix?: string;
}

/** The Node.js version wfhub needs (package.json's engines). */
const minimumNode = [20, 19] as const;
const lowDiskBytes = 1024 ** 3;
const tooLittleDiskBytes = 200 * 1024 ** 2;

async function versionOf(program: string, args: string[] = ['--version']): Promise<string | undefined> {
  try {
    const { stdout } = await run(program, args, { timeout: 10_000 });
    return stdout.trim().split('\n')[0];
  } catch {
    return undefined;
  }
}

function node(): DoctorFinding {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const enough = major > minimumNode[0] || (major === minimumNode[0] && minor >= minimumNode[1]);
  return enough
    ? { check: 'node', status: 'ok', message: `Node.js ${process.versions.node}` }
    : { check: 'node', status: 'fail', message: `Node.js ${process.versions.node} is too old`, fix: `install Node.js ${minimumNode.join('.')} or newer (https://nodejs.org)` };
}

async function git(): Promise<DoctorFinding> {
  const version = await versionOf('git');
  return version
    ? { check: 'git', status: 'ok', message: version }
    : { check: 'git', status: 'fail', message: 'git is not installed (runs record, commit and undo their changes with it)', fix: 'install git (Debian/Ubuntu: apt-get install git)' };
}

async function ripgrep(): Promise<DoctorFinding> {
  const binary = await ripgrepBinary().catch(() => undefined);
  const version = binary && (await versionOf(binary));
  return version
    ? { check: 'ripgrep', status: 'ok', message: version }
    : { check: 'ripgrep', status: 'fail', message: "ripgrep (the agent's grep and glob) cannot run", fix: 'reinstall wfhub (npm ci) so @vscode/ripgrep downloads its binary, or install ripgrep (apt-get install ripgrep)' };
}

async function sandbox(config: Config): Promise<DoctorFinding> {
  if (config.sandbox === 'off') {
    return { check: 'sandbox', status: 'warn', message: 'WFHUB_SANDBOX=off: commands run without a sandbox and can read and change anything this user can', fix: 'install bubblewrap and set WFHUB_SANDBOX=auto' };
  }
  const status = await detectBubblewrap();
  if (status.usable) return { check: 'sandbox', status: 'ok', message: `bubblewrap isolates commands (${status.executable})` };
  const fix = 'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), or allow user namespaces in this container';
  return config.sandbox === 'bwrap'
    ? { check: 'sandbox', status: 'fail', message: `WFHUB_SANDBOX=bwrap, but ${status.problem}: commands will be refused`, fix }
    : { check: 'sandbox', status: 'warn', message: `${status.problem}: commands run without a sandbox`, fix };
}

async function modelServer(config: Config): Promise<DoctorFinding[]> {
  const where = config.llmProvider === 'openai' ? config.openaiBaseUrl : config.ollamaHost;
  const provider = createProvider(config);
  const signal = AbortSignal.timeout(10_000);
  let names: string[];
  try {
    names = (await provider.listModels(signal)).map((model) => model.name);
  } catch (error) {
    return [
      {
        check: 'model server',
        status: 'fail',
        message: `cannot list the models at ${where}: ${(error as Error).message}`,
        fix: config.llmProvider === 'openai' ? 'start the server, or set OPENAI_BASE_URL (and OPENAI_API_KEY)' : 'start Ollama (ollama serve), or set OLLAMA_HOST',
      },
    ];
  }
  const has = (model: string) => names.some((name) => name === model || name === `${model}:latest`);
  const findings: DoctorFinding[] = [{ check: 'model server', status: 'ok', message: `${where} answers with ${names.length} model${names.length === 1 ? '' : 's'}` }];
  if (!has(config.model)) {
    findings.push({
      check: 'model',
      status: 'fail',
      message: `${config.model} (WFHUB_MODEL) is not on the model server`,
      fix: config.llmProvider === 'openai' ? `serve ${config.model}, or set WFHUB_MODEL to one of: ${names.join(', ') || 'none'}` : `ollama pull ${config.model}`,
    });
  } else {
    const info = await provider.describeModel(config.model, signal).catch(() => undefined);
    const window = info?.contextLength;
    findings.push(
      window !== undefined && window < config.numCtx
        ? { check: 'model', status: 'warn', message: `${config.model} has a ${window}-token window, smaller than WFHUB_NUM_CTX=${config.numCtx}: runs use ${window}`, fix: `set WFHUB_NUM_CTX=${window}, or pick a model with a larger window` }
        : { check: 'model', status: 'ok', message: `${config.model}${window ? `, a ${window}-token window (runs ask for up to ${config.numCtx})` : ''}${info?.tools === false ? '; no native tool calls: the text protocol stands in' : ''}` },
    );
  }
  if (config.llmProvider === 'ollama' && !has(config.visionModel)) {
    findings.push({ check: 'vision model', status: 'warn', message: `${config.visionModel} (WFHUB_VISION_MODEL) is not pulled: image attachments go undescribed`, fix: `ollama pull ${config.visionModel}` });
  }
  return findings;
}

async function database(config: Config): Promise<DoctorFinding> {
  if (config.databaseKind === 'postgres' && config.databaseUrl) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: config.databaseUrl, connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ version: string }>('select version()');
      return { check: 'database', status: 'ok', message: `PostgreSQL at ${redactUrl(config.databaseUrl)} answers (${rows[0]?.version.split(' ').slice(0, 2).join(' ')})` };
    } catch (error) {
      return { check: 'database', status: 'fail', message: `cannot reach PostgreSQL at ${redactUrl(config.databaseUrl)}: ${(error as Error).message}`, fix: 'start PostgreSQL, or fix DATABASE_URL (unset it for the embedded database)' };
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const held = readLock(config.dataDir);
  if (held) return { check: 'database', status: 'ok', message: `the embedded database in ${config.dataDir} is open in wfhub ${held.purpose} (pid ${held.pid}${held.url ? `, ${held.url}` : ''})` };
  const where = existsSync(config.dataDir) ? config.dataDir : path.dirname(path.resolve(config.dataDir));
  try {
    accessSync(where, constants.W_OK);
  } catch {
    return { check: 'database', status: 'fail', message: `${where} is not writable: the embedded database cannot be ${existsSync(config.dataDir) ? 'opened' : 'created'} there`, fix: 'set WFHUB_DATA_DIR to a folder this user can write' };
  }
  return { check: 'database', status: 'ok', message: existsSync(path.join(config.dataDir, 'pgdata')) || existsSync(config.dataDir) ? `the embedded database lives in ${config.dataDir}` : `the embedded database will be created in ${config.dataDir}` };
}

async function disk(check: string, folder: string): Promise<DoctorFinding> {
  let at = path.resolve(folder);
  while (!existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  const stats = await statfs(at);
  const free = stats.bavail * stats.bsize;
  const text = free >= 1024 ** 3 ? `${(free / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(free / 1024 ** 2)} MiB`;
  if (free < tooLittleDiskBytes) return { check, status: 'fail', message: `only ${text} free for ${folder}`, fix: 'free some space, or point it at a larger disk' };
  if (free < lowDiskBytes) return { check, status: 'warn', message: `${text} free for ${folder}`, fix: 'free some space: worktrees and the database grow with use' };
  return { check, status: 'ok', message: `${text} free for ${folder}` };
}

/**
 * What wfhub needs on this machine, each checked and, where something is missing, what to do:
 * Node.js, git, ripgrep, the sandbox, the model server and its models, the database, disk space.
 * Reads only: it opens no database (a running server keeps its hold) and changes nothing.
 */
export async function diagnose(config: Config): Promise<DoctorFinding[]> {
  const groups = await Promise.all([
    Promise.resolve([node()]),
    git().then((finding) => [finding]),
    ripgrep().then((finding) => [finding]),
    sandbox(config).then((finding) => [finding]),
    modelServer(config),
    database(config).then((finding) => [finding]),
    disk('disk (data)', config.dataDir).then((finding) => [finding]),
    disk('disk (workspaces)', config.workspacesDir).then((finding) => [finding]),
  ]);
  return groups.flat();
}
