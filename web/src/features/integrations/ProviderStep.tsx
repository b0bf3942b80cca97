import { useId, useState, type FormEvent } from 'react';
import { useTrackers, type TrackerInfo } from './integrations-api.js';
import { StepTitle } from './StepTitle.js';
import { WizardNav } from './WizardNav.js';

/** Step 1: which tracker the tasks are on. */
export function ProviderStep({ selected, onNext }: { selected: TrackerInfo | undefined; onNext: (tracker: TrackerInfo) => void }) {
  const trackers = useTrackers();
  const [choice, setChoice] = useState(selected?.id ?? '');
  const title = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const tracker = trackers.data?.find((item) => item.id === choice);
    if (tracker) onNext(tracker);
  };
  return (
    <form className="wizard-step" aria-labelledby={title} onSubmit={submit}>
      <StepTitle id={title}>Where are the tasks?</StepTitle>
      {trackers.isPending && <p className="muted">Loading the trackers…</p>}
      {trackers.isError && <p role="alert">{trackers.error.message}</p>}
      {trackers.data && (
        <fieldset className="choices">
          <legend className="visually-hidden">Tracker</legend>
          {trackers.data.map((tracker) => (
            <label key={tracker.id} className="choice">
              <input type="radio" name="tracker" value={tracker.id} checked={choice === tracker.id} onChange={() => setChoice(tracker.id)} />
              <span>
                <strong>{tracker.name}</strong> <span className="muted">· a {tracker.project_label}'s tasks</span>
              </span>
            </label>
          ))}
        </fieldset>
      )}
      <WizardNav next="Next" nextDisabled={!trackers.data?.some((tracker) => tracker.id === choice)} />
    </form>
  );
}
