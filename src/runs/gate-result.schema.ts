import { z } from 'zod';

/** What a gate is: an acceptance check, the security stage's scans, the documentation check, the pm's plan, or the model's review. */
export const gateKinds = ['acceptance_check', 'secret_scan', 'dependency_audit', 'docs_changed', 'plan', 'review'] as const;

/** One gate's result, kept on its run as evidence. */
export const gateResultSchema = z
  .object({
    gate: z.enum(gateKinds),
    name: z.string().describe('What was checked, in words: the criterion, "Secrets in the diff", ...'),
    passed: z.boolean(),
    skipped: z.boolean().describe('It could not be judged here (no lockfile, offline): it does not fail the gate'),
    criterion_id: z.number().int().nullable(),
    check: z.string().nullable().describe('The command or probe, for acceptance checks'),
    exit_code: z.number().int().nullable(),
    http_status: z.number().int().nullable(),
    timed_out: z.boolean(),
    duration_ms: z.number(),
    output_tail: z.string().describe("The end of a command's output, the start of a probe's answer, or the findings"),
  })
  .meta({ id: 'GateResult' });

export type GateResult = z.output<typeof gateResultSchema>;
