/** A wizard step's Back and Next; Next submits the step's form. */
export function WizardNav({ onBack, next, nextDisabled = false, busy = false }: { onBack?: () => void; next: string; nextDisabled?: boolean; busy?: boolean }) {
  return (
    <div className="actions wizard-nav">
      {onBack && (
        <button type="button" onClick={onBack} disabled={busy}>
          Back
        </button>
      )}
      <button type="submit" disabled={nextDisabled || busy}>
        {next}
      </button>
    </div>
  );
}
