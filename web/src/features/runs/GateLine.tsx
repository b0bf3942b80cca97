import { memo } from 'react';
import { gateEvidence, gateOutcome, type GateResult } from '../../shared/pipeline.js';

const outcomeLabel = { pass: 'passed', fail: 'failed', skipped: 'skipped' } as const;

/**
 * One gate's result with its evidence: the badge, what was checked, the command or probe, the
 * exit code or HTTP status, the time it took, and the end of its output (folded unless `open`).
 */
export const GateLine = memo(function GateLine({ gate, open = false }: { gate: GateResult; open?: boolean }) {
  const outcome = gateOutcome(gate);
  return (
    <li className={`gate gate-${outcome}`} aria-label={`Gate ${gate.name}: ${outcomeLabel[outcome]}`}>
      <details open={open}>
        <summary>
          <span className={`badge gate-badge-${outcome}`}>{outcome}</span>
          <span className="gate-name">{gate.name}</span>
          {gate.check && <code className="gate-check">{gate.check}</code>}
          <span className="gate-evidence">{gateEvidence(gate)}</span>
        </summary>
        {gate.output_tail ? <pre className="gate-output">{gate.output_tail}</pre> : <p className="muted gate-output-none">No output.</p>}
      </details>
    </li>
  );
});
