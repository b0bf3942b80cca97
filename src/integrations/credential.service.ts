import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { secretHider } from '../core/hide-secrets.js';
import type { Database } from '../db/database.js';
import { CredentialCipher, SealedValueError } from './credential-cipher.js';
import type { Credential, CredentialCreate } from './integration.schema.js';
import { trackerCredentialTable, type TrackerCredentialRow } from './integration.sql.js';
import { TrackerError } from './tracker-error.js';
import type { ExternalProject, TrackerProvider } from './tracker-provider.js';
import { connectTracker, trackerInfo, type TrackerAccess } from './trackers.js';

const publicColumns = {
  id: trackerCredentialTable.id,
  provider: trackerCredentialTable.provider,
  name: trackerCredentialTable.name,
  account: trackerCredentialTable.account,
  base_url: trackerCredentialTable.base_url,
  email: trackerCredentialTable.email,
  created_at: trackerCredentialTable.created_at,
  updated_at: trackerCredentialTable.updated_at,
};

/**
 * The tracker accounts wfhub may use. A token is checked with the tracker before it is kept,
 * sealed for the database, opened only to talk to the tracker, and never returned: every answer
 * here leaves it out, and a tracker's error that quotes it has it hidden.
 */
export class CredentialService {
  private cipherValue: CredentialCipher | undefined;

  constructor(
    private readonly db: Database,
    private readonly options: { secretKey?: string; dataDir: string; connect?: (access: TrackerAccess) => TrackerProvider },
  ) {}

  /** Loaded on first use: a hub that never meets a tracker writes no key file. */
  private get cipher(): CredentialCipher {
    this.cipherValue ??= CredentialCipher.load(this.options);
    return this.cipherValue;
  }

  async list(): Promise<Credential[]> {
    return this.db.select(publicColumns).from(trackerCredentialTable).orderBy(asc(trackerCredentialTable.id));
  }

  async get(id: number): Promise<Credential> {
    const [row] = await this.db.select(publicColumns).from(trackerCredentialTable).where(eq(trackerCredentialTable.id, id));
    if (!row) throw new NotFoundError('credential', id, 'Check the id: GET /integrations/credentials lists them.');
    return row;
  }

  /**
   * Asks the tracker who the token is; only a token it accepts is kept. A token for an account
   * already kept at the same place renews that credential (`created` false), so its mappings
   * and links go on.
   */
  async create(input: CredentialCreate): Promise<{ credential: Credential; created: boolean }> {
    const info = trackerInfo.find((item) => item.id === input.provider)!;
    const given = input.base_url?.replace(/\/+$/, '') ?? null;
    const baseUrl = given === info.base_url.default ? null : given;
    const access: TrackerAccess = { provider: input.provider, token: input.token, email: input.email ?? null, baseUrl };
    const { account } = await this.call(access, async (tracker) => {
      const answer = await tracker.validate();
      if (typeof answer.account !== 'string' || answer.account === '') throw new TypeError('no account in its answer');
      return answer;
    });
    const email = input.email ?? null;
    const [kept] = await this.db
      .update(trackerCredentialTable)
      .set({ sealed_token: this.cipher.seal(input.token), ...(input.name !== undefined && { name: input.name }), updated_at: new Date() })
      .where(
        and(
          eq(trackerCredentialTable.provider, input.provider),
          eq(trackerCredentialTable.account, account),
          baseUrl === null ? isNull(trackerCredentialTable.base_url) : eq(trackerCredentialTable.base_url, baseUrl),
          email === null ? isNull(trackerCredentialTable.email) : sql`lower(${trackerCredentialTable.email}) = lower(${email})`,
        ),
      )
      .returning(publicColumns);
    if (kept) return { credential: kept, created: false };
    const label = info.name;
    const [row] = await this.db
      .insert(trackerCredentialTable)
      .values({
        provider: input.provider,
        name: input.name ?? `${label}: ${account}`,
        account,
        base_url: baseUrl,
        email,
        sealed_token: this.cipher.seal(input.token),
      })
      .returning(publicColumns);
    return { credential: row!, created: true };
  }

  /** Forgets the credential with its project mappings; the tasks imported through it stay, unlinked. */
  async delete(id: number): Promise<void> {
    const [deleted] = await this.db.delete(trackerCredentialTable).where(eq(trackerCredentialTable.id, id)).returning({ id: trackerCredentialTable.id });
    if (!deleted) throw new NotFoundError('credential', id, 'Check the id: GET /integrations/credentials lists them.');
  }

  async projects(id: number): Promise<ExternalProject[]> {
    return this.use(id, (tracker) => tracker.listProjects());
  }

  /** Talks to the tracker as the stored credential. */
  async use<T>(id: number, work: (tracker: TrackerProvider) => Promise<T>): Promise<T> {
    return this.call(await this.access(id), work);
  }

  private async access(id: number): Promise<TrackerAccess> {
    const [row] = await this.db.select().from(trackerCredentialTable).where(eq(trackerCredentialTable.id, id));
    if (!row) throw new NotFoundError('credential', id, 'Check the id: GET /integrations/credentials lists them.');
    return { provider: row.provider, token: this.open(row), email: row.email, baseUrl: row.base_url };
  }

  private open(row: TrackerCredentialRow): string {
    try {
      return this.cipher.open(row.sealed_token);
    } catch (error) {
      if (error instanceof SealedValueError) throw new ConflictError('credential_unreadable', `Credential ${row.id} (${row.name}): ${error.message}`, { credential_id: row.id });
      throw error;
    }
  }

  private async call<T>(access: TrackerAccess, work: (tracker: TrackerProvider) => Promise<T>): Promise<T> {
    try {
      return await work((this.options.connect ?? connectTracker)(access));
    } catch (error) {
      const hide = secretHider([access.token]);
      if (error instanceof TrackerError) throw new TrackerError(error.code, hide(error.message), error.details);
      // An answer in a shape no tracker gives (a base URL that is some other web site, say).
      if (error instanceof TypeError) {
        throw new TrackerError('tracker_rejected', `${access.provider} answered in a shape wfhub does not know (${hide(error.message)}). Check the base URL: it must be the tracker's API.`, { provider: access.provider });
      }
      throw error;
    }
  }
}
