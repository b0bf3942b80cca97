import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { api } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';
import type { Credential, TrackerInfo } from './integrations-api.js';
import { WithLinks } from './WithLinks.js';
import { WizardNav } from './WizardNav.js';

/**
 * A new token for the tracker, with what else it needs (Jira's email, a site or an Enterprise
 * address): the server checks it with the tracker before keeping it, and says why when refused.
 */
export function CredentialForm({ tracker, onBack, onCreated }: { tracker: TrackerInfo; onBack: () => void; onCreated: (credential: Credential) => void }) {
  const client = useQueryClient();
  const [token, setToken] = useState('');
  const [email, setEmail] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [name, setName] = useState('');
  const ids = { help: useId(), hint: useId() };
  const create = useMutation({
    mutationFn: () =>
      api<Credential>('POST', '/integrations/credentials', {
        provider: tracker.id,
        // A pasted token often brings a line break along.
        token: token.trim(),
        ...(tracker.needs_email && { email: email.trim() }),
        ...(baseUrl.trim() && { base_url: baseUrl.trim() }),
        ...(name.trim() && { name: name.trim() }),
      }),
    onSuccess: (credential) => {
      setToken('');
      void client.invalidateQueries({ queryKey: queryKeys.credentials, exact: true });
      onCreated(credential);
    },
  });
  const edit = (set: (value: string) => void) => (value: string) => {
    create.reset();
    set(value);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim()) create.mutate();
  };
  const missing = !token.trim() || (tracker.needs_email && !email.trim()) || (tracker.base_url.required && !baseUrl.trim());

  return (
    <form className="credential-form" aria-label={`A new ${tracker.name} token`} onSubmit={submit}>
      <label>
        {tracker.token_label}
        <input type="password" autoComplete="off" spellCheck={false} value={token} onChange={(event) => edit(setToken)(event.target.value)} aria-describedby={ids.help} required />
      </label>
      <p id={ids.help} className="muted field-help">
        <WithLinks text={tracker.token_help} />
      </p>
      {tracker.needs_email && (
        <label>
          Account email
          <input type="email" autoComplete="email" value={email} onChange={(event) => edit(setEmail)(event.target.value)} required />
        </label>
      )}
      <label>
        {tracker.base_url.required ? 'Base URL' : 'Base URL (optional)'}
        <input
          type="url"
          value={baseUrl}
          onChange={(event) => edit(setBaseUrl)(event.target.value)}
          placeholder={tracker.base_url.default ?? 'https://example.atlassian.net'}
          aria-describedby={ids.hint}
          required={tracker.base_url.required}
        />
      </label>
      <p id={ids.hint} className="muted field-help">
        {tracker.base_url.hint}
      </p>
      <label>
        Called (optional)
        <input value={name} onChange={(event) => setName(event.target.value)} placeholder={`${tracker.name} and the account`} maxLength={100} />
      </label>
      {create.error && <p role="alert">{create.error.message}</p>}
      <WizardNav onBack={onBack} next={create.isPending ? `Checking with ${tracker.name}…` : 'Connect'} nextDisabled={missing} busy={create.isPending} />
    </form>
  );
}
