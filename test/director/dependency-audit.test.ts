import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SandboxSettings } from '../../src/agent/tools/sandbox-settings.js';
import { auditDependencies, offlineNote, parseNpmAudit } from '../../src/director/dependency-audit.js';
import { tempDir } from '../helpers/temp-dir.js';

const sandboxed: SandboxSettings = { mode: 'bwrap', allowNetwork: false, hiddenPaths: [], secretVariables: [] };

function metadata(counts: Partial<Record<'info' | 'low' | 'moderate' | 'high' | 'critical', number>>, dependencies = 12) {
  const vulnerabilities = { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...counts };
  const total = Object.values(vulnerabilities).reduce((sum, amount) => sum + amount, 0);
  return {
    vulnerabilities: { ...vulnerabilities, total },
    dependencies: { prod: dependencies, dev: 0, optional: 0, peer: 0, peerOptional: 0, total: dependencies },
  };
}

/** An advisory as npm prints it inside `via`. */
function advisory(name: string, severity: string, title: string, source: number) {
  return {
    source,
    name,
    dependency: name,
    title,
    url: `https://github.com/advisories/GHSA-${source}`,
    severity,
    cwe: ['CWE-1321'],
    cvss: { score: 7.5, vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' },
    range: '<4.17.21',
  };
}

/** A package entry of `vulnerabilities`, as npm prints it. */
function vulnerable(name: string, severity: string, via: unknown[], isDirect = true) {
  return { name, severity, isDirect, via, effects: [], range: '<=4.17.20', nodes: [`node_modules/${name}`], fixAvailable: true };
}

describe('parseNpmAudit', () => {
  it('passes a clean report', () => {
    const report = { auditReportVersion: 2, vulnerabilities: {}, metadata: metadata({}, 57) };
    expect(parseNpmAudit(JSON.stringify(report, null, 2))).toEqual({
      status: 'passed',
      note: 'npm audit found no known vulnerabilities in 57 dependencies',
      counts: { critical: 0, high: 0, moderate: 0, low: 0, info: 0 },
      advisories: [],
    });
  });

  it('fails on one high vulnerability and names its advisory, not the packages reached through it', () => {
    const report = {
      auditReportVersion: 2,
      vulnerabilities: {
        lodash: vulnerable('lodash', 'high', [advisory('lodash', 'high', 'Prototype Pollution in lodash', 1096305)], false),
        'lodash-helpers': vulnerable('lodash-helpers', 'high', ['lodash']),
      },
      metadata: metadata({ high: 2 }),
    };
    expect(parseNpmAudit(JSON.stringify(report))).toEqual({
      status: 'failed',
      note: 'npm audit found 2 vulnerable packages: 2 high',
      counts: { critical: 0, high: 2, moderate: 0, low: 0, info: 0 },
      advisories: [
        { name: 'lodash', severity: 'high', title: 'Prototype Pollution in lodash', url: 'https://github.com/advisories/GHSA-1096305' },
      ],
    });
  });

  it('passes moderate and low vulnerabilities with a note counting them', () => {
    const report = {
      auditReportVersion: 2,
      vulnerabilities: {
        postcss: vulnerable('postcss', 'moderate', [advisory('postcss', 'moderate', 'PostCSS line return parsing error', 1094544)]),
        debug: vulnerable('debug', 'low', [advisory('debug', 'low', 'Regular Expression Denial of Service in debug', 1094219)]),
      },
      metadata: metadata({ moderate: 1, low: 1 }),
    };
    const parsed = parseNpmAudit(JSON.stringify(report));
    expect(parsed.status).toBe('passed');
    expect(parsed.note).toBe('npm audit found 2 vulnerable packages: 1 moderate, 1 low; none high or critical');
    expect(parsed.advisories?.map((entry) => entry.severity)).toEqual(['moderate', 'low']);
  });

  it('lists at most 20 advisories, the most severe first', () => {
    const vulnerabilities: Record<string, unknown> = {};
    const levels = ['low', 'moderate', 'high', 'critical', 'info'];
    for (let index = 0; index < 25; index += 1) {
      const name = `package-${String(index).padStart(2, '0')}`;
      const severity = levels[index % levels.length]!;
      vulnerabilities[name] = vulnerable(name, severity, [advisory(name, severity, `Advisory ${index}`, 1_000 + index)]);
    }
    const parsed = parseNpmAudit(JSON.stringify({ auditReportVersion: 2, vulnerabilities, metadata: metadata({ low: 5, moderate: 5, high: 5, critical: 5, info: 5 }) }));
    expect(parsed.status).toBe('failed');
    expect(parsed.note).toBe('npm audit found 25 vulnerable packages: 5 critical, 5 high, 5 moderate, 5 low, 5 info');
    expect(parsed.advisories).toHaveLength(20);
    expect(parsed.advisories?.slice(0, 5).every((entry) => entry.severity === 'critical')).toBe(true);
    expect(parsed.advisories?.some((entry) => entry.severity === 'info')).toBe(false);
  });

  it('counts from the packages when the report has no metadata', () => {
    const report = {
      auditReportVersion: 2,
      vulnerabilities: { minimist: vulnerable('minimist', 'critical', [advisory('minimist', 'critical', 'Prototype Pollution in minimist', 1097677)]) },
    };
    expect(parseNpmAudit(JSON.stringify(report))).toMatchObject({ status: 'failed', counts: { critical: 1, high: 0 } });
  });

  it('skips when npm could not reach the registry', () => {
    const older = {
      error: {
        code: 'ENOTFOUND',
        summary: 'request to https://registry.npmjs.org/-/npm/v1/security/advisories/bulk failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org',
        detail: '',
      },
    };
    // npm 11 names the cause only in the message.
    const newer = {
      message: 'request to https://registry.npmjs.org/-/npm/v1/security/advisories/bulk failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org',
      error: { summary: '', detail: '' },
    };
    for (const report of [older, newer]) expect(parseNpmAudit(JSON.stringify(report))).toEqual({ status: 'skipped', note: offlineNote });
  });

  it('skips with npm’s reason when it fails for another cause', () => {
    const report = { error: { code: 'ENOLOCK', summary: 'This command requires an existing lockfile.', detail: 'Try creating one first with: npm i --package-lock-only' } };
    expect(parseNpmAudit(JSON.stringify(report))).toEqual({
      status: 'skipped',
      note: 'npm audit could not run (ENOLOCK: This command requires an existing lockfile.): skipped',
    });
  });

  it('skips output that is not a report instead of throwing', () => {
    expect(parseNpmAudit('npm ERR! code E500\nnpm ERR! 500 Internal Server Error')).toEqual({
      status: 'skipped',
      note: 'npm audit printed no JSON report ("npm ERR! code E500 npm ERR! 500 Internal Server Error"): skipped',
    });
    expect(parseNpmAudit('')).toMatchObject({ status: 'skipped' });
    expect(parseNpmAudit('{"auditReportVersion": 2, "vulnerabilities": ')).toMatchObject({ status: 'skipped' });
    // npm 6's format (auditReportVersion 1) is not read.
    expect(parseNpmAudit(JSON.stringify({ actions: [], advisories: {}, metadata: metadata({}) }))).toMatchObject({ status: 'skipped' });
    expect(parseNpmAudit('null')).toMatchObject({ status: 'skipped' });
  });
});

describe('auditDependencies', () => {
  let dir: string;
  let cleanup: () => void;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir('wfhub-audit-'));
    dir = realpathSync(dir);
  });

  afterEach(() => cleanup());

  function writeProject(lockfile: string): void {
    const manifest = { name: 'audited', version: '1.0.0', dependencies: { 'left-pad': '1.3.0' } };
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
    const lock = {
      name: 'audited',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'audited', version: '1.0.0', dependencies: { 'left-pad': '1.3.0' } },
        'node_modules/left-pad': {
          version: '1.3.0',
          resolved: 'https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz',
          integrity: 'sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQwnHXMTZq4BsZ0ZfP/d+q1JvN5ITvrHMwOTU3J0Mdg8m0vpQ==',
        },
      },
    };
    writeFileSync(path.join(dir, lockfile), JSON.stringify(lock, null, 2));
  }

  function audit(overrides: { timeoutMs?: number; signal?: AbortSignal } = {}) {
    return auditDependencies({
      dir,
      sandbox: sandboxed,
      bubblewrap: '/usr/bin/bwrap',
      timeoutMs: overrides.timeoutMs ?? 60_000,
      signal: overrides.signal ?? new AbortController().signal,
    });
  }

  it('skips a project without a lockfile', async () => {
    writeFileSync(path.join(dir, 'package.json'), '{"name": "unlocked"}');
    const result = await audit();
    expect(result).toMatchObject({ tool: null, status: 'skipped', note: 'no package-lock.json: no dependency audit for this project' });
    expect(result.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it.each(['package-lock.json', 'npm-shrinkwrap.json'])(
    'runs npm audit in the sandbox and skips it when the network is off (%s)',
    async (lockfile) => {
      writeProject(lockfile);
      const result = await audit();
      expect(result).toMatchObject({ tool: 'npm', status: 'skipped', note: offlineNote });
      expect(result.counts).toBeUndefined();
    },
    60_000,
  );

  it('skips when npm is not installed', async () => {
    writeProject('package-lock.json');
    // A PATH holding bash alone: the shell starts, npm is nowhere.
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(realpathSync('/bin/bash'), path.join(bin, 'bash'));
    const original = process.env.PATH;
    process.env.PATH = bin;
    try {
      const result = await auditDependencies({
        dir,
        sandbox: { ...sandboxed, mode: 'off' },
        timeoutMs: 30_000,
        signal: new AbortController().signal,
      });
      expect(result).toMatchObject({ tool: 'npm', status: 'skipped', note: 'npm is not installed: no audit of package-lock.json' });
    } finally {
      process.env.PATH = original;
    }
  });

  it('skips an audit that runs out of time', async () => {
    writeProject('package-lock.json');
    const result = await audit({ timeoutMs: 50 });
    expect(result).toMatchObject({ tool: 'npm', status: 'skipped', note: 'npm audit did not finish within 0.1 s: skipped' });
  }, 30_000);

  it('rejects with the reason of an aborted signal', async () => {
    writeProject('package-lock.json');
    const controller = new AbortController();
    controller.abort(new Error('run cancelled'));
    await expect(audit({ signal: controller.signal })).rejects.toThrow('run cancelled');
  });
});
