import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, onTokenNeeded, token } from '../../shared/api.js';

/**
 * A server started with WFHUB_TOKEN answers 401 until the browser sends the token: this asks for
 * it, checks it against the server, keeps it in this browser, and loads the page again with it.
 */
export function TokenDialog() {
  const [asked, setAsked] = useState<ApiError | undefined>();
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [checking, setChecking] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => onTokenNeeded((reason) => setAsked((current) => current ?? reason)), []);
  // Modal: the page behind cannot be reached until the token is given.
  useEffect(() => {
    if (!asked || dialog.current?.open) return;
    dialog.current?.showModal();
    field.current?.focus();
  }, [asked]);
  if (!asked) return null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const candidate = value.trim();
    // An HTTP header carries printable ASCII only: anything else cannot be the server's token.
    if (!/^[\x20-\x7e]+$/.test(candidate)) {
      setError('A token is made of plain ASCII letters, digits and symbols: check what was pasted.');
      return;
    }
    setChecking(true);
    setError(undefined);
    try {
      // A protected route says whether the token is the server's, before it is kept.
      const answer = await fetch('/projects', { headers: { authorization: `Bearer ${candidate}` } });
      if (answer.ok) {
        token.set(candidate);
        location.reload();
      } else if (answer.status === 401) setError('The server refused this token: it is not the WFHUB_TOKEN it was started with.');
      else setError(`The server could not check the token (HTTP ${answer.status}). Try again in a moment.`);
    } catch {
      setError('The wfhub server does not answer. Is it still running?');
    } finally {
      setChecking(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      className="token-dialog"
      aria-labelledby="token-title"
      aria-describedby="token-why"
      // Nothing works without the token: Esc neither closes this nor anything behind it.
      onCancel={(event) => event.preventDefault()}
      onClose={() => dialog.current?.showModal()}
      onKeyDown={(event) => {
        if (event.key !== 'Escape') return;
        event.preventDefault();
        event.stopPropagation();
      }}
    >
      <form onSubmit={submit}>
        <h2 id="token-title">This wfhub server needs its token</h2>
        <p id="token-why">
          {asked.code === 'invalid_token' ? 'The token saved in this browser is no longer the server’s.' : 'It was started with WFHUB_TOKEN, so every request must carry it.'} Enter that token:
          it is kept in this browser only.
        </p>
        <label>
          Token
          <input ref={field} type="password" autoComplete="current-password" value={value} onChange={(event) => setValue(event.target.value)} required />
        </label>
        {error && <p role="alert">{error}</p>}
        <button type="submit" disabled={checking || !value.trim()}>
          {checking ? 'Checking…' : 'Use this token'}
        </button>
      </form>
    </dialog>
  );
}
