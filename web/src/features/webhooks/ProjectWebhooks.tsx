import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Webhook, WebhookDelivery, WebhookWithSecret } from '../../../../src/webhooks/webhook.schema.js';
import { maxWebhooksPerProject, webhookEvents, type WebhookEvent } from '../../../../src/webhooks/webhook-fields.js';
import { api, ApiError } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';
import { WebhookDeliveries } from './WebhookDeliveries.js';

const eventLabels: Record<WebhookEvent, string> = {
  'run.finished': 'run.finished: a run ended',
  'task.status_changed': "task.status_changed: a task's status changed",
};

/** In a project's settings: the URLs its events are POSTed to, each with its delivery log. */
export function ProjectWebhooks({ projectId }: { projectId: number }) {
  const webhooks = useQuery({ queryKey: queryKeys.webhooks(projectId), queryFn: () => api<Webhook[]>('GET', `/projects/${projectId}/webhooks`) });
  // The secret of the webhook just made (or given a new one): shown this once, kept nowhere.
  const [fresh, setFresh] = useState<WebhookWithSecret | undefined>();
  const list = webhooks.data ?? [];

  return (
    <section className="editor-section" aria-label="Webhooks">
      <h3>
        Webhooks <span className="count">{list.length > 0 && list.length}</span>
      </h3>
      <p className="muted">
        Each event is POSTed as JSON, signed in <code>X-Wfhub-Signature</code> with the webhook's secret, and retried with backoff until the receiver answers 2xx.
      </p>
      {webhooks.data && list.length === 0 && <p className="muted">No webhooks yet.</p>}
      <ul className="webhooks">
        {list.map((webhook) => (
          <WebhookItem key={webhook.id} webhook={webhook} projectId={projectId} onSecret={setFresh} />
        ))}
      </ul>
      {fresh && <NewSecret webhook={fresh} onDone={() => setFresh(undefined)} />}
      {webhooks.data && list.length < maxWebhooksPerProject && <AddWebhook projectId={projectId} onAdded={setFresh} />}
      {webhooks.error && <p role="alert">{webhooks.error.message}</p>}
    </section>
  );
}

function EventChoices({ value, onChange }: { value: WebhookEvent[]; onChange: (events: WebhookEvent[]) => void }) {
  return (
    <fieldset className="event-choices">
      <legend>Events</legend>
      {webhookEvents.map((event) => (
        <label key={event} className="check">
          <input
            type="checkbox"
            checked={value.includes(event)}
            onChange={(change) => onChange(change.target.checked ? webhookEvents.filter((item) => item === event || value.includes(item)) : value.filter((item) => item !== event))}
          />
          {eventLabels[event]}
        </label>
      ))}
    </fieldset>
  );
}

function AddWebhook({ projectId, onAdded }: { projectId: number; onAdded: (webhook: WebhookWithSecret) => void }) {
  const client = useQueryClient();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEvent[]>([...webhookEvents]);
  const add = useMutation({
    mutationFn: () => api<WebhookWithSecret>('POST', `/projects/${projectId}/webhooks`, { url: url.trim(), events }),
    onSuccess: (made) => {
      setUrl('');
      setEvents([...webhookEvents]);
      onAdded(made);
      void client.invalidateQueries({ queryKey: queryKeys.webhooks(projectId), exact: true });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate();
  };
  return (
    // The server says what is wrong with a URL (its own words beat the browser's bubble).
    <form className="webhook-form" aria-label="Add a webhook" onSubmit={submit} noValidate>
      <label>
        URL
        <input type="url" value={url} onChange={(event) => {
            add.reset();
            setUrl(event.target.value);
          }} placeholder="https://example.com/hooks/wfhub" maxLength={2000} />
      </label>
      <EventChoices value={events} onChange={setEvents} />
      <div className="actions">
        <button type="submit" disabled={add.isPending || !url.trim() || events.length === 0}>
          Add webhook
        </button>
      </div>
      {add.error instanceof ApiError && <p role="alert">{add.error.message}</p>}
    </form>
  );
}

function NewSecret({ webhook, onDone }: { webhook: WebhookWithSecret; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'no' | undefined>();
  const copy = () =>
    navigator.clipboard.writeText(webhook.secret).then(
      () => setCopied('yes'),
      () => setCopied('no'),
    );
  return (
    <div className="webhook-secret" role="region" aria-label="Webhook secret">
      <p>
        The secret of <span className="file-name">{webhook.url}</span>. Copy it now: it is not shown again.
      </p>
      <code className="secret-value" aria-label="Secret">
        {webhook.secret}
      </code>
      <div className="actions">
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
        {copied === 'yes' && <span role="status">Copied</span>}
        {copied === 'no' && <span role="status">The browser did not allow copying: select the secret and copy it.</span>}
      </div>
      <p className="muted">
        Receivers check <code>X-Wfhub-Signature: sha256=…</code>, the HMAC-SHA256 of the raw body with this secret.
      </p>
    </div>
  );
}

function WebhookItem({ webhook, projectId, onSecret }: { webhook: Webhook; projectId: number; onSecret: (webhook: WebhookWithSecret) => void }) {
  const client = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [showLog, setShowLog] = useState(false);
  const refresh = () => {
    void client.invalidateQueries({ queryKey: queryKeys.webhooks(projectId), exact: true });
    void client.invalidateQueries({ queryKey: queryKeys.webhookDeliveries(webhook.id) });
  };
  const test = useMutation({
    mutationFn: () => api<WebhookDelivery>('POST', `/webhooks/${webhook.id}/test`),
    onSuccess: () => setShowLog(true),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: () => api<void>('DELETE', `/webhooks/${webhook.id}`),
    onSettled: () => client.invalidateQueries({ queryKey: queryKeys.webhooks(projectId), exact: true }),
  });
  const last = webhook.last_delivery;
  const tested = test.data;

  return (
    <li className="webhook" aria-label={`Webhook ${webhook.url}`}>
      <div className="webhook-line">
        <span className="file-name webhook-url">{webhook.url}</span>
        {!webhook.active && <span className="badge">inactive</span>}
      </div>
      <div className="webhook-line muted">
        <span>{webhook.events.join(', ')}</span>
        <span>secret {webhook.secret_hint}</span>
        {last ? (
          <span>
            last delivery{' '}
            <span className={`badge delivery-badge-${last.status}`} aria-label={`Last delivery: ${last.status}`}>
              {last.status}
              {last.last_status_code !== null && ` ${last.last_status_code}`}
            </span>
          </span>
        ) : (
          <span>no deliveries yet</span>
        )}
      </div>
      {webhook.description && <p className="webhook-description">{webhook.description}</p>}
      <div className="actions">
        <button type="button" disabled={test.isPending} onClick={() => test.mutate()}>
          {test.isPending ? 'Sending…' : 'Send test'}
        </button>
        <button type="button" aria-expanded={showLog} onClick={() => setShowLog((open) => !open)}>
          Deliveries
        </button>
        <button type="button" aria-expanded={editing} onClick={() => setEditing((open) => !open)}>
          Edit
        </button>
        <button
          type="button"
          disabled={remove.isPending}
          onClick={() => window.confirm(`Delete the webhook to ${webhook.url} and its delivery log?`) && remove.mutate()}
        >
          Delete
        </button>
        {tested && (
          <span role="status">
            Test {tested.status === 'delivered' ? `delivered (${tested.last_status_code})` : `failed: ${tested.last_error ?? 'no answer'}`}
          </span>
        )}
      </div>
      {editing && <EditWebhook webhook={webhook} projectId={projectId} onSecret={onSecret} onDone={() => setEditing(false)} />}
      {showLog && <WebhookDeliveries webhookId={webhook.id} onChange={refresh} />}
      {test.error && <p role="alert">{test.error.message}</p>}
      {remove.error && <p role="alert">{remove.error.message}</p>}
    </li>
  );
}

function EditWebhook({ webhook, projectId, onSecret, onDone }: { webhook: Webhook; projectId: number; onSecret: (webhook: WebhookWithSecret) => void; onDone: () => void }) {
  const client = useQueryClient();
  const [events, setEvents] = useState<WebhookEvent[]>(webhook.events);
  const [active, setActive] = useState(webhook.active);
  const refresh = () => client.invalidateQueries({ queryKey: queryKeys.webhooks(projectId), exact: true });
  const save = useMutation({
    mutationFn: () => api<Webhook>('PATCH', `/webhooks/${webhook.id}`, { events, active }),
    onSuccess: () => {
      void refresh();
      onDone();
    },
  });
  const rotate = useMutation({
    mutationFn: () => api<WebhookWithSecret>('POST', `/webhooks/${webhook.id}/rotate-secret`),
    onSuccess: (rotated) => {
      onSecret(rotated);
      void refresh();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form className="webhook-form" aria-label={`Edit the webhook to ${webhook.url}`} onSubmit={submit}>
      <label className="check">
        <input type="checkbox" checked={active} onChange={(event) => setActive(event.target.checked)} />
        Active (an inactive webhook records nothing; what it had pending waits)
      </label>
      <EventChoices value={events} onChange={setEvents} />
      <div className="actions">
        <button type="submit" disabled={save.isPending || events.length === 0}>
          Save
        </button>
        <button type="button" disabled={rotate.isPending} onClick={() => window.confirm('Make a new secret? Receivers must use it from now on.') && rotate.mutate()}>
          New secret
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
      {save.error && <p role="alert">{save.error.message}</p>}
      {rotate.error && <p role="alert">{rotate.error.message}</p>}
    </form>
  );
}
