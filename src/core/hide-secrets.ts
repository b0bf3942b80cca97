/** What a hidden secret is replaced with. */
export const hiddenSecret = '[redacted]';

/**
 * Hides every secret in a text, as written and as it appears escaped in JSON, encoded in a URL (a
 * token sent in a query string) or in base64url (a token in a WebSocket subprotocol), so logs can
 * show a line whatever put the secret in it.
 * Secrets shorter than 8 characters are not hidden: replacing a short word everywhere would
 * garble the text and hide little (WFHUB_TOKEN is at least 8 characters long).
 */
export function secretHider(secrets: readonly (string | undefined)[]): (text: string) => string {
  const forms = [
    ...new Set(
      secrets
        .filter((secret): secret is string => secret !== undefined && secret.length >= 8)
        .flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), Buffer.from(secret, 'utf8').toString('base64url')]),
    ),
  ].sort((a, b) => b.length - a.length);
  if (forms.length === 0) return (text) => text;
  return (text) => {
    let hidden = text;
    for (const form of forms) if (hidden.includes(form)) hidden = hidden.replaceAll(form, hiddenSecret);
    return hidden;
  };
}
