import { and, asc, eq, gte } from 'drizzle-orm';
import type { PromptSection } from '../agent/prompt/prompt-sections.js';
import type { AgentService } from '../agent/agent-service.js';
import type { CriterionService } from '../acceptance-criteria/criterion.service.js';
import type { Database } from '../db/database.js';
import type { NodeService } from '../nodes/node.service.js';
import type { GateResult } from '../runs/gate-result.schema.js';
import type { GateContext, RunGates, Verdict } from '../runs/run-gates.js';
import { runTable } from '../runs/run.sql.js';
import { snapshotRef } from '../runs/run-worker.js';
import { runCheck, type CheckResult } from './acceptance-check.js';
import { auditDependencies } from './dependency-audit.js';
import type { PipelineService } from './pipeline.service.js';
import { scanDiff } from './secret-scan.js';
import { taskPipelineTable } from './task-pipeline.sql.js';
import { isDocumentation } from './documentation-files.js';
import { verdictOf } from './verdict.js';
import { planInstructions, readPlan } from './pm-plan.js';

export interface StageGateDependencies {
  db: Database;
  criteria: CriterionService;
  pipelines: PipelineService;
  agent: AgentService;
  nodes: NodeService;
}

/** The gate a role fails by changing what it must not (a reviewer any file, documentation code): dev looks at it. */
export const overstepGateName = 'Changed only what the role may change';

const verdictRule =
  'Do not change any file. End your finish summary with a line "VERDICT: PASS" when the work meets the task, or "VERDICT: FAIL" followed by what is wrong, precisely enough for a developer to fix it.';

/** An output tail for a prompt: long outputs keep their end, where the failure usually is. */
function tail(text: string, chars = 1500): string {
  return text.length <= chars ? text : `…${text.slice(-chars)}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function fromCheck(result: CheckResult, criterion: { id: number; text: string }): GateResult {
  return {
    gate: 'acceptance_check',
    name: criterion.text,
    passed: result.passed,
    skipped: false,
    criterion_id: criterion.id,
    check: result.check,
    exit_code: result.exit_code,
    http_status: result.http_status,
    timed_out: result.timed_out,
    duration_ms: result.duration_ms,
    output_tail: result.error ? `${result.error}\n${result.output_tail}`.trim() : result.output_tail,
  };
}

function plainGate(gate: GateResult['gate'], name: string, passed: boolean, output: string, extra: Partial<GateResult> = {}): GateResult {
  return { gate, name, passed, skipped: false, criterion_id: null, check: null, exit_code: null, http_status: null, timed_out: false, duration_ms: 0, output_tail: output, ...extra };
}

/** How a gate reads in a prompt or a comment: one line, then the evidence of a failure. */
export function describeGate(gate: GateResult): string {
  const mark = gate.skipped ? 'SKIPPED' : gate.passed ? 'PASS' : 'FAIL';
  const how =
    gate.gate === 'acceptance_check'
      ? ` — \`${gate.check}\` (${gate.timed_out ? 'timed out' : gate.http_status !== null ? `HTTP ${gate.http_status}` : gate.exit_code !== null ? `exit ${gate.exit_code}` : 'did not run'}, ${seconds(gate.duration_ms)})`
      : '';
  const line = `[${mark}] ${gate.name}${how}`;
  return gate.passed && gate.gate === 'acceptance_check' ? line : `${line}${gate.output_tail.trim() ? `\n${indent(tail(gate.output_tail.trim()))}` : ''}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

/**
 * The director's gates: what each reviewing role checks by itself before its model is asked,
 * and its verdict after. qa runs every acceptance check; security scans the task's changes for
 * secrets and audits the dependencies; documentation checks that docs changed when code did.
 * Deterministic results decide first: a failed check fails the stage whatever the model says.
 */
export class StageGates implements RunGates {
  constructor(private readonly dependencies: StageGateDependencies) {}

  async before(context: GateContext, record: (gate: GateResult) => Promise<void>): Promise<{ sections: PromptSection[] }> {
    switch (await this.roleOf(context)) {
      case 'qa':
        return this.qaBefore(context, record);
      case 'security':
        return this.securityBefore(context, record);
      case 'documentation':
        return this.documentationBefore(context);
      case 'pm':
        return context.task.parent_id === null
          ? { sections: [{ id: 'plan', title: 'Your answer: the plan', body: planInstructions, required: true, priority: 95 }] }
          : { sections: [] };
      case 'dev':
      case null:
        return { sections: [] };
      default:
        return { sections: [{ id: 'verdict', title: 'Your verdict', body: verdictRule, required: true, priority: 95 }] };
    }
  }

  async after(context: GateContext, run: { summary: string | undefined; filesChanged: readonly string[]; gates: readonly GateResult[] }): Promise<{ verdict: Verdict | null; gates: GateResult[] }> {
    const role = await this.roleOf(context);
    if (role === null || role === 'dev') return { verdict: null, gates: [] };
    if (role === 'pm') {
      const read = readPlan(run.summary ?? '');
      const gate =
        'plan' in read
          ? plainGate('plan', 'The plan', true, read.plan.subtasks.length ? read.plan.subtasks.map((subtask, index) => `${index + 1}. ${subtask.title}`).join('\n') : 'No split: the task is done in one go.')
          : plainGate('plan', 'The plan', false, read.error);
      return { verdict: gate.passed ? 'pass' : 'fail', gates: [gate] };
    }
    if (role === 'documentation') {
      const gate = await this.documentationGate(context, run.filesChanged);
      return { verdict: gate.passed ? 'pass' : 'fail', gates: [gate] };
    }
    const failed = run.gates.some((gate) => !gate.passed && !gate.skipped);
    const said = verdictOf(run.summary ?? '');
    // A reviewer reports; a change it made was reviewed by nobody.
    const overstep = run.filesChanged.length
      ? [plainGate('review', overstepGateName, false, `The ${role} role changed ${run.filesChanged.join(', ')}: a reviewing role only reports what is wrong, and dev changes the work.`)]
      : [];
    const review = plainGate(
      'review',
      `The ${role} role's review`,
      said !== 'fail',
      said === null ? `${tail(run.summary ?? '', 600)}\n(no VERDICT line: taken as a pass of what the checks could not judge)`.trim() : tail(run.summary ?? '', 1500),
    );
    return { verdict: failed || said === 'fail' || overstep.length ? 'fail' : 'pass', gates: [review, ...overstep] };
  }

  /** The run's role, by name (built-in roles behave as described above; others judge by their VERDICT line). */
  private async roleOf(context: GateContext): Promise<string | null> {
    if (context.run.node_id === null) return null;
    return (await this.dependencies.nodes.get(context.run.node_id)).name;
  }

  private async qaBefore(context: GateContext, record: (gate: GateResult) => Promise<void>): Promise<{ sections: PromptSection[] }> {
    const { criteria, pipelines, agent } = this.dependencies;
    const all = (await criteria.list(context.task.id, { limit: 1000, offset: 0 })).items;
    const checked = all.filter((criterion) => criterion.check);
    const { check_timeout_seconds: timeout } = await pipelines.get(context.project.id);
    const sandbox = await agent.commandSandbox(context.dir, { allowNetwork: context.project.settings.allow_network === true, mounts: context.mounts });
    const results: GateResult[] = [];
    for (const criterion of checked) {
      const result = await runCheck(criterion.check!, { dir: context.dir, sandbox, timeoutMs: timeout * 1000, signal: context.signal });
      const gate = fromCheck(result, criterion);
      results.push(gate);
      await record(gate);
      // The criterion's box follows its check, so the task shows what holds now.
      if (criterion.done !== gate.passed) await criteria.update(criterion.id, { done: gate.passed });
    }
    const unchecked = all.filter((criterion) => !criterion.check);
    const body = [
      results.length
        ? `wfhub ran every acceptance check in the workspace before you:\n${results.map(describeGate).join('\n')}`
        : 'No acceptance criterion has a check, so nothing was run before you.',
      unchecked.length
        ? `Judge these criteria yourself (run the project's tests or try the behaviour as needed):\n${unchecked.map((criterion) => `- ${criterion.text}`).join('\n')}`
        : '',
      results.some((gate) => !gate.passed)
        ? 'A check failed, so this stage fails whatever you conclude: explain the failure from its output so the developer can fix it.'
        : '',
      verdictRule,
    ].filter(Boolean);
    return { sections: [{ id: 'gates', title: 'QA gates', body: body.join('\n\n'), required: true, priority: 95 }] };
  }

  private async securityBefore(context: GateContext, record: (gate: GateResult) => Promise<void>): Promise<{ sections: PromptSection[] }> {
    const { agent, pipelines } = this.dependencies;
    const started = Date.now();
    const { diff } = await this.pipelineChanges(context);
    const findings = scanDiff(diff);
    const secrets = plainGate(
      'secret_scan',
      'No secrets in the changes',
      findings.length === 0,
      findings.length === 0
        ? 'No key, token or private key found in the lines this task added.'
        : findings.map((finding) => `${finding.file}:${finding.line}: ${finding.description} (${finding.excerpt})`).join('\n'),
      { duration_ms: Date.now() - started },
    );
    await record(secrets);
    const { check_timeout_seconds: timeout } = await pipelines.get(context.project.id);
    const sandbox = await agent.commandSandbox(context.dir, { allowNetwork: context.project.settings.allow_network === true, mounts: context.mounts });
    const audit = await auditDependencies({ dir: context.dir, sandbox, timeoutMs: timeout * 1000, signal: context.signal });
    const advisories = (audit.advisories ?? []).map((advisory) => `${advisory.severity}: ${advisory.name}: ${advisory.title}${advisory.url ? ` (${advisory.url})` : ''}`);
    const auditGate = plainGate('dependency_audit', 'Dependency audit', audit.status !== 'failed', [audit.note, ...advisories].join('\n'), {
      skipped: audit.status === 'skipped',
      duration_ms: audit.duration_ms,
    });
    await record(auditGate);
    const body = [
      `wfhub checked the task's changes before you:\n${[secrets, auditGate].map(describeGate).join('\n')}`,
      findings.length || audit.status === 'failed' ? 'A check failed, so this stage fails whatever you conclude: say how to fix it.' : '',
      'Review the change for injection, path traversal, unsafe shell use, missing authorization and secrets in logs.',
      verdictRule,
    ].filter(Boolean);
    return { sections: [{ id: 'gates', title: 'Security gates', body: body.join('\n\n'), required: true, priority: 95 }] };
  }

  private async documentationBefore(context: GateContext): Promise<{ sections: PromptSection[] }> {
    const { files } = await this.pipelineChanges(context);
    const code = files.filter((file) => !isDocumentation(file));
    const docs = files.filter(isDocumentation);
    const body = code.length
      ? [
          `This task changed code: ${code.slice(0, 50).join(', ')}${code.length > 50 ? ` and ${code.length - 50} more` : ''}.`,
          docs.length ? `Documentation changed so far: ${docs.join(', ')}.` : 'No documentation has changed yet.',
          'Update the README, the docs folder and code comments so they describe what the change does, with examples that work. Change documentation files only (Markdown and the like), never product code.',
        ].join('\n')
      : 'This task changed no code, so there is nothing to document: say so and finish.';
    return { sections: [{ id: 'gates', title: 'Documentation gate', body, required: true, priority: 95 }] };
  }

  /** Passes when the task changed no code, or changed documentation too; fails when this run changed code. */
  private async documentationGate(context: GateContext, ownFiles: readonly string[]): Promise<GateResult> {
    const { files } = await this.pipelineChanges(context);
    const all = [...new Set([...files, ...ownFiles])];
    const code = all.filter((file) => !isDocumentation(file));
    const docs = all.filter(isDocumentation);
    const touchedCode = ownFiles.filter((file) => !isDocumentation(file));
    if (touchedCode.length) {
      return plainGate('docs_changed', overstepGateName, false, `The documentation role changed code: ${touchedCode.join(', ')}. It may change documentation files only.`);
    }
    if (code.length === 0) return plainGate('docs_changed', 'Docs match the code', true, 'No code changed: nothing to document.');
    return docs.length
      ? plainGate('docs_changed', 'Docs match the code', true, `Documentation changed: ${docs.join(', ')}.`)
      : plainGate('docs_changed', 'Docs match the code', false, `Code changed (${code.slice(0, 20).join(', ')}) but no documentation did: update the README or the docs.`);
  }

  /**
   * What the task has changed since its pipeline set off: the diff from the workspace as the
   * pipeline's first run found it to the workspace now (a secret added, then taken out, is not
   * in it), and the files its runs changed (undone ones left out). Without that first snapshot
   * here (a clone made elsewhere), the runs' own diffs stand in.
   */
  private async pipelineChanges(context: GateContext): Promise<{ diff: string; files: string[] }> {
    const { db } = this.dependencies;
    const [state] = await db.select({ since: taskPipelineTable.created_at }).from(taskPipelineTable).where(eq(taskPipelineTable.task_id, context.task.id));
    const rows = await db
      .select({ id: runTable.id, status: runTable.status, verdict: runTable.verdict, diff: runTable.diff, files: runTable.files_changed, undone: runTable.undone_at })
      .from(runTable)
      .where(and(eq(runTable.task_id, context.task.id), ...(state ? [gte(runTable.created_at, state.since)] : [])))
      .orderBy(asc(runTable.id));
    // Files a reviewing run committed (a check's coverage report, say) are not the task's work;
    // what a run that failed or was interrupted changed stays in the workspace, and is.
    const earlier = rows.filter(
      (row) => row.id !== context.run.id && ['succeeded', 'failed', 'interrupted'].includes(row.status) && row.undone === null && row.verdict === null,
    );
    const files = [...new Set(earlier.flatMap((row) => row.files))];
    const first = rows[0];
    const snapshot = first && (await context.repository.resolveTree(snapshotRef(first.id)));
    if (snapshot) return { diff: await context.repository.diff(snapshot, await context.repository.workingTree()), files };
    return { diff: earlier.map((row) => row.diff ?? '').join('\n'), files };
  }
}
