import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { api } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';
import { CredentialForm } from './CredentialForm.js';
import type { Credential, TrackerInfo } from './integrations-api.js';
import { StepTitle } from './StepTitle.js';
import { WizardNav } from './WizardNav.js';

/** Step 2: a token kept before for this tracker, or a new one. */
export function CredentialStep({ tracker, selected, onBack, onNext }: { tracker: TrackerInfo; selected: Credential | undefined; onBack: () => void; onNext: (credential: Credential) => void }) {
  const client = useQueryClient();
  const credentials = useQuery({ queryKey: queryKeys.credentials, queryFn: () => api<Credential[]>('GET', '/integrations/credentials') });
  const kept = credentials.data?.filter((credential) => credential.provider === tracker.id) ?? [];
  const [choice, setChoice] = useState<number | 'new' | undefined>(selected?.provider === tracker.id ? selected.id : undefined);
  // The one picked, else the first kept, else a new token.
  const current = choice !== undefined && (choice === 'new' || kept.some((credential) => credential.id === choice)) ? choice : (kept[0]?.id ?? 'new');
  const forget = useMutation({
    mutationFn: (id: number) => api<void>('DELETE', `/integrations/credentials/${id}`),
    onSettled: () => client.invalidateQueries({ queryKey: queryKeys.credentials, exact: true }),
  });
  const title = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const credential = kept.find((item) => item.id === current);
    if (credential) onNext(credential);
  };

  return (
    <section className="wizard-step" aria-labelledby={title}>
      <StepTitle id={title}>Sign in to {tracker.name}</StepTitle>
      {credentials.isPending && <p className="muted">Loading the tokens kept…</p>}
      {credentials.isError && <p role="alert">{credentials.error.message}</p>}
      {kept.length > 0 && (
        <fieldset className="choices">
          <legend>Use a token kept before, or a new one</legend>
          {kept.map((credential) => (
            <div key={credential.id} className="choice-row">
              <label className="choice">
                <input type="radio" name="credential" checked={current === credential.id} onChange={() => setChoice(credential.id)} />
                <span>
                  <strong>{credential.name}</strong>{' '}
                  <span className="muted">
                    · {credential.account}
                    {credential.base_url && ` · ${credential.base_url}`}
                  </span>
                </span>
              </label>
              <button
                type="button"
                className="link"
                aria-label={`Forget the token ${credential.name}`}
                disabled={forget.isPending}
                onClick={() => window.confirm(`Forget the token "${credential.name}"? Its imports stop syncing; the tasks stay.`) && forget.mutate(credential.id)}
              >
                Forget
              </button>
            </div>
          ))}
          <label className="choice">
            <input type="radio" name="credential" checked={current === 'new'} onChange={() => setChoice('new')} />
            <span>A new token</span>
          </label>
        </fieldset>
      )}
      {forget.error && <p role="alert">{forget.error.message}</p>}
      {current === 'new' ? (
        credentials.isPending ? null : (
          <CredentialForm tracker={tracker} onBack={onBack} onCreated={onNext} />
        )
      ) : (
        <form aria-label="Use the token picked" onSubmit={submit}>
          <WizardNav onBack={onBack} next="Next" />
        </form>
      )}
    </section>
  );
}
