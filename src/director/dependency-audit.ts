import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { oneLine } from '../agent/prompt/one-line.js';
import { runProcessGroup } from '../agent/tools/process-group.js';
import { commandEnvironment, sandboxCommand } from '../agent/tools/sandbox.js';
import { ToolError } from '../agent/tools/tool.js';
import type { GateCommandOptions } from './gate-command-options.js';

export interface AuditCounts {
  critical: number;
  high: number;
  moderate: number;
  low: number;
  info: number;
}

export interface AuditAdvisory {
  /** The vulnerable package. */
  name: string;
  severity: string;
  title: string;
  url?: string;
}

/** The dependency audit of the security stage: known vulnerabilities in the project's locked dependencies. */
export interface AuditResult {
  /** The audit tool the project's lockfile calls for; null when the project has none. */
  tool: 'npm' | null;
  /** Failed on any high or critical vulnerability; skipped when no audit could be made. */
  status: 'passed' | 'failed' | 'skipped';
  /** One line for a person: what was found, or why the audit was skipped. */
  note: string;
  /** Vulnerable packages by severity, as npm counts them. */
  counts?: AuditCounts;
  /** At most 20, the most severe first. */
  advisories?: AuditAdvisory[];
  duration_ms: number;
}

export type AuditOptions = GateCommandOptions;

/** npm-shrinkwrap.json wins over package-lock.json when both exist, as in npm itself. */
const lockfiles = ['npm-shrinkwrap.json', 'package-lock.json'];
const maxAdvisories = 20;
/** A report beyond this is not held in memory: a dependency tree that large is not audited here. */
const maxReportChars = 32_000_000;
/** Exit code of the command below when npm is not on PATH. */
const npmMissing = 127;

/**
 * The report alone on stdout: npm's warnings and log notices go to stderr, which would only get
 * in the way of the JSON, since the process runner interleaves both streams.
 */
const auditCommand = `command -v npm >/dev/null 2>&1 || exit ${npmMissing}\nexec npm audit --json 2>/dev/null`;

/** Error codes of a registry that cannot be reached: no network in the sandbox, or none at all. */
const offlineCodes = ['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ENETUNREACH', 'ENETDOWN', 'EHOSTUNREACH'];
const offlinePattern = new RegExp(`\\b(?:${offlineCodes.join('|')})\\b`);
export const offlineNote = 'npm audit could not reach the registry (offline): skipped';

const severities = ['critical', 'high', 'moderate', 'low', 'info'] as const;

// Limited versions of npm's `npm audit --json` output (auditReportVersion 2), focussed on what the
// note and the advisories need, so a field npm adds or drops elsewhere never breaks the audit.
const count = z.number().int().nonnegative().catch(0);
const countsSchema = z.object({ critical: count, high: count, moderate: count, low: count, info: count });
const advisorySchema = z.object({
  name: z.string().optional(),
  title: z.string(),
  url: z.string().optional(),
  severity: z.string().optional(),
});
const reportSchema = z.object({
  auditReportVersion: z.literal(2),
  vulnerabilities: z
    .record(z.string(), z.object({ name: z.string().optional(), severity: z.string().optional(), via: z.array(z.unknown()).catch([]) }))
    .default({}),
  metadata: z
    .object({
      vulnerabilities: countsSchema.optional(),
      dependencies: z.object({ total: z.number().optional() }).optional(),
    })
    .optional(),
});
/** npm up to 10 puts the code in `error`; npm 11 only the message, beside an empty `error`. */
const errorReportSchema = z.object({
  message: z.string().optional(),
  error: z.object({ code: z.string().nullish(), summary: z.string().nullish(), detail: z.string().nullish() }),
});

type Parsed = Pick<AuditResult, 'status' | 'note' | 'counts' | 'advisories'>;

function rank(severity: string): number {
  const index = (severities as readonly string[]).indexOf(severity);
  return index === -1 ? severities.length : index;
}

function plural(amount: number, noun: string, nouns = `${noun}s`): string {
  return `${amount} ${amount === 1 ? noun : nouns}`;
}

function errorNote(failure: z.infer<typeof errorReportSchema>): string {
  const { code, summary, detail } = failure.error;
  const reason = [summary, detail, failure.message].find((text) => text?.trim()) ?? '';
  if ((code && offlineCodes.includes(code)) || offlinePattern.test([summary, detail, failure.message].join(' '))) return offlineNote;
  const said = [code, oneLine(reason, 200)].filter(Boolean).join(': ');
  return `npm audit could not run (${said || 'it gave no reason'}): skipped`;
}

/** The advisories behind the vulnerable packages; a package only reached through another (a string in `via`) adds none. */
function advisoriesOf(report: z.infer<typeof reportSchema>): AuditAdvisory[] {
  const found = new Map<string, AuditAdvisory>();
  for (const [key, vulnerability] of Object.entries(report.vulnerabilities)) {
    for (const via of vulnerability.via) {
      const advisory = advisorySchema.safeParse(via);
      if (!advisory.success) continue;
      const name = advisory.data.name ?? vulnerability.name ?? key;
      const severity = (advisory.data.severity ?? vulnerability.severity ?? 'unknown').toLowerCase();
      const entry: AuditAdvisory = { name, severity, title: advisory.data.title, ...(advisory.data.url ? { url: advisory.data.url } : {}) };
      found.set(`${name}\u0000${advisory.data.url ?? advisory.data.title}`, entry);
    }
  }
  return [...found.values()]
    .sort((a, b) => rank(a.severity) - rank(b.severity) || a.name.localeCompare(b.name))
    .slice(0, maxAdvisories);
}

/**
 * Reads what `npm audit --json` printed. A report that is not JSON, or not one npm's documented
 * format, is a skipped audit with a note, never an error: the stage goes on without it.
 */
export function parseNpmAudit(json: string): Parsed {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    const note = json.trim() === '' ? 'npm audit printed no report: skipped' : `npm audit printed no JSON report ("${oneLine(json, 80)}"): skipped`;
    return { status: 'skipped', note };
  }
  const failure = errorReportSchema.safeParse(parsed);
  if (failure.success) return { status: 'skipped', note: errorNote(failure.data) };
  const result = reportSchema.safeParse(parsed);
  if (!result.success) {
    return { status: 'skipped', note: 'npm audit printed a report in a format not read here (auditReportVersion 2 expected): skipped' };
  }
  const report = result.data;
  const counts: AuditCounts = report.metadata?.vulnerabilities ?? { critical: 0, high: 0, moderate: 0, low: 0, info: 0 };
  if (!report.metadata?.vulnerabilities) {
    for (const vulnerability of Object.values(report.vulnerabilities)) {
      const severity = vulnerability.severity?.toLowerCase();
      if (severity && severity in counts) counts[severity as keyof AuditCounts] += 1;
    }
  }
  const advisories = advisoriesOf(report);
  const total = severities.reduce((sum, severity) => sum + counts[severity], 0);
  if (total === 0) {
    const dependencies = report.metadata?.dependencies?.total;
    const note = `npm audit found no known vulnerabilities${dependencies ? ` in ${plural(dependencies, 'dependency', 'dependencies')}` : ''}`;
    return { status: 'passed', note, counts, advisories };
  }
  const breakdown = severities.filter((severity) => counts[severity] > 0).map((severity) => `${counts[severity]} ${severity}`).join(', ');
  const failed = counts.critical + counts.high > 0;
  const note = `npm audit found ${plural(total, 'vulnerable package')}: ${breakdown}${failed ? '' : '; none high or critical'}`;
  return { status: failed ? 'failed' : 'passed', note, counts, advisories };
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

function secondsText(milliseconds: number): string {
  return `${Math.round(milliseconds / 100) / 10} s`;
}

/**
 * Audits the project's locked npm dependencies with `npm audit`, run like the agent's commands:
 * in the sandbox, without wfhub's secrets. With the network off (the default) npm cannot reach
 * the registry, and the audit is skipped with a note saying so rather than failed: the project
 * chose no network, not vulnerable dependencies. Anything else that stops the audit is a skip
 * with its reason too; only an abort of `options.signal` rejects.
 */
export async function auditDependencies(options: AuditOptions): Promise<AuditResult> {
  options.signal.throwIfAborted();
  const started = performance.now();
  const finish = (tool: AuditResult['tool'], outcome: Parsed): AuditResult => ({
    tool,
    ...outcome,
    duration_ms: Math.round(performance.now() - started),
  });
  const skipped = (note: string) => finish('npm', { status: 'skipped', note });

  let lockfile: string | undefined;
  for (const name of lockfiles) {
    if (await isFile(path.join(options.dir, name))) {
      lockfile = name;
      break;
    }
  }
  if (!lockfile) return finish(null, { status: 'skipped', note: 'no package-lock.json: no dependency audit for this project' });

  let program;
  try {
    program = await sandboxCommand(auditCommand, {
      root: options.dir,
      settings: options.sandbox,
      ...(options.bubblewrap ? { bubblewrap: options.bubblewrap } : {}),
    });
  } catch (error) {
    if (error instanceof ToolError) return skipped(`npm audit could not run: ${error.message}`);
    throw error;
  }
  if (program.warning) options.onSandboxWarning?.(program.warning);

  let output = '';
  let tooLarge = false;
  let run;
  try {
    run = await runProcessGroup({
      file: program.file,
      args: program.args,
      cwd: options.dir,
      // npm would otherwise ask the registry whether a newer npm exists before every audit.
      env: { ...commandEnvironment(options.sandbox, { sandboxed: program.sandboxed }), npm_config_update_notifier: 'false' },
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      onOutput: (text) => {
        if (tooLarge || output.length + text.length > maxReportChars) tooLarge = true;
        else output += text;
      },
    });
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    return skipped(`npm audit could not be started: ${(error as Error).message}`);
  }

  if (run.timedOut) return skipped(`npm audit did not finish within ${secondsText(options.timeoutMs)}: skipped`);
  if (run.exitCode === npmMissing) return skipped(`npm is not installed: no audit of ${lockfile}`);
  if (tooLarge) return skipped(`npm audit printed a report of more than ${maxReportChars / 1_000_000} million characters: skipped`);
  if (output.trim() === '') {
    const ended = run.exitCode === null ? `killed by ${run.signal ?? 'a signal'}` : `exit code ${run.exitCode}`;
    return skipped(`npm audit printed no report (${ended}): skipped`);
  }
  return finish('npm', parseNpmAudit(output));
}
