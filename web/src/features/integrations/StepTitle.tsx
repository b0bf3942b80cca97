import type { ReactNode } from 'react';

/** A step's heading: focus moves to it when the step opens, so a keyboard or screen reader user starts there. */
export function StepTitle({ id, children }: { id: string; children: ReactNode }) {
  return (
    <h3 id={id} className="step-title" tabIndex={-1}>
      {children}
    </h3>
  );
}
