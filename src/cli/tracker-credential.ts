import type { HubClient } from '../app/hub-client.js';
import type { Credential, TrackerInfo } from '../integrations/integration.schema.js';
import { plain } from './format.js';

export interface CredentialWanted {
  info: TrackerInfo;
  /** A kept credential named by id (--credential). */
  id?: number;
  /** A token given now (never shown). */
  token?: string;
  baseUrl?: string;
  email?: string;
}

/** An API root compared as the tracker sees it: the tracker's own when none is given, no trailing slash. */
function apiRoot(url: string | null | undefined, info: TrackerInfo): string {
  const value = (url ?? info.base_url.default ?? '').trim();
  try {
    const parsed = new URL(value);
    return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
  } catch {
    return value.replace(/\/+$/, '');
  }
}

const sameEmail = (a: string | null | undefined, b: string | null | undefined) => (a ?? '').toLowerCase() === (b ?? '').toLowerCase();

export function describeCredential(credential: Credential): string {
  return `credential ${credential.id} (${plain(credential.name)}${credential.base_url ? `, ${plain(credential.base_url)}` : ''})`;
}

/**
 * The credential an import talks to the tracker with. Named by id, it is that one. Without a
 * token, it is the one kept for the tracker (at the base URL and email given, if any). With a
 * token, the tracker checks it first; when a credential is already kept for the same account at
 * the same place, the server renews that one, so its imports and their links go on; otherwise the
 * new one is kept for next time. `notices` hears which it is (stderr).
 */
export async function chooseCredential(client: HubClient, wanted: CredentialWanted, notices: { write(text: string): unknown }): Promise<Credential> {
  const { info } = wanted;
  const all = await client.listCredentials();
  const ofTracker = all.filter((credential) => credential.provider === info.id);
  if (wanted.id !== undefined) {
    const named = all.find((credential) => credential.id === wanted.id);
    if (!named) {
      throw new Error(
        `There is no credential ${wanted.id}. ${ofTracker.length ? `Those kept for ${info.name}:\n${ofTracker.map((credential) => `  ${describeCredential(credential)}`).join('\n')}` : `None is kept for ${info.name}: give a token with --token-env or --token-stdin.`}`,
      );
    }
    if (named.provider !== info.id) throw new Error(`Credential ${named.id} is for ${named.provider}, not ${info.id}.`);
    return named;
  }

  const candidates = ofTracker.filter(
    (credential) => (wanted.baseUrl === undefined || apiRoot(credential.base_url, info) === apiRoot(wanted.baseUrl, info)) && (wanted.email === undefined || sameEmail(credential.email, wanted.email)),
  );
  if (wanted.token === undefined) {
    if (candidates.length === 1) {
      notices.write(`using ${describeCredential(candidates[0]!)}\n`);
      return candidates[0]!;
    }
    if (candidates.length === 0) {
      const where = [wanted.baseUrl && `at ${wanted.baseUrl}`, wanted.email && `for ${wanted.email}`].filter(Boolean).join(' ');
      throw new Error(
        `No ${info.name} credential is kept${where ? ` ${where}` : ''}. Give the token once with --token-env <VARIABLE> or --token-stdin${info.needs_email ? ' (and --email)' : ''}${info.base_url.required ? ' (and --base-url)' : ''}; later imports use the kept one. ${info.token_help}`,
      );
    }
    throw new Error(`${candidates.length} ${info.name} credentials are kept; choose one with --credential <id>:\n${candidates.map((credential) => `  ${describeCredential(credential)}`).join('\n')}`);
  }

  const created = await client.createCredential({
    provider: info.id,
    token: wanted.token,
    ...(wanted.baseUrl !== undefined && { base_url: wanted.baseUrl }),
    ...(wanted.email !== undefined && { email: wanted.email }),
  });
  // The server renews a credential kept for the same account at the same place, rather than adding one.
  if (ofTracker.some((credential) => credential.id === created.id)) {
    notices.write(`using ${describeCredential(created)}, kept before for the same account (its token renewed)\n`);
    return created;
  }
  notices.write(
    `kept ${describeCredential(created)}: later imports can leave the token out${ofTracker.length ? ` and give --credential ${created.id}` : ''}\n`,
  );
  return created;
}
