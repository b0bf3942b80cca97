import type { Command } from 'commander';
import { diagnose, type DoctorStatus } from '../doctor-checks.js';
import { configFrom, type GlobalOptions } from '../options.js';
import { print } from '../run-command.js';

const marks: Record<DoctorStatus, string> = { ok: '✓', warn: '!', fail: '✗' };

export function doctorCommand(program: Command) {
  program
    .command('doctor')
    .description('check what wfhub needs here (Node.js, git, ripgrep, the sandbox, the model server and its models, the database, disk) and say what to fix')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const findings = await diagnose(configFrom(program.opts<GlobalOptions>()));
      const failed = findings.filter((finding) => finding.status === 'fail').length;
      const warned = findings.filter((finding) => finding.status === 'warn').length;
      print(options.json, findings, () =>
        [
          ...findings.map((finding) => `${marks[finding.status]} ${finding.check}: ${finding.message}${finding.fix ? `\n    → ${finding.fix}` : ''}`),
          '',
          failed ? `${failed} problem${failed === 1 ? '' : 's'} to fix${warned ? `, ${warned} warning${warned === 1 ? '' : 's'}` : ''}.` : warned ? `Ready, with ${warned} warning${warned === 1 ? '' : 's'}.` : 'Ready.',
        ].join('\n'),
      );
      if (failed) process.exitCode = 1;
    });
}
