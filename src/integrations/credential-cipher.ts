import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/config.js';

/** The generated key's file in the data dir, when WFHUB_SECRET_KEY is not set. */
export const keyFileName = 'secret.key';

const version = 'v1';
const ivBytes = 12;

/** A sealed value could not be opened: another key sealed it, or it was changed. */
export class SealedValueError extends Error {
  override readonly name = 'SealedValueError';
}

/**
 * Seals the trackers' credentials for the database with AES-256-GCM: a fresh nonce per value, the
 * authentication tag checked on opening, so a value changed in the database, or sealed with
 * another key, is refused rather than read wrong. The key comes from WFHUB_SECRET_KEY (any text
 * of 16 characters or more, stretched with HKDF-SHA256), or from a random key the first start
 * writes into the data dir, readable by its owner only (mode 0600).
 */
export class CredentialCipher {
  private constructor(
    private readonly key: Buffer,
    /** Where the key came from, for messages: never the key itself. */
    readonly source: string,
  ) {}

  static fromSecret(secret: string): CredentialCipher {
    if (secret.length < 16) throw new ConfigError('Invalid configuration: WFHUB_SECRET_KEY=(hidden) must be at least 16 characters long.', 'WFHUB_SECRET_KEY');
    const key = Buffer.from(hkdfSync('sha256', secret, 'wfhub', 'wfhub tracker credentials v1', 32));
    return new CredentialCipher(key, 'WFHUB_SECRET_KEY');
  }

  /** WFHUB_SECRET_KEY when given; otherwise the data dir's key file, made on first use. */
  static load(options: { secretKey?: string; dataDir: string }): CredentialCipher {
    if (options.secretKey !== undefined) return CredentialCipher.fromSecret(options.secretKey);
    const file = path.join(options.dataDir, keyFileName);
    if (!existsSync(file)) {
      mkdirSync(options.dataDir, { recursive: true });
      // `wx`: two processes starting at once cannot both write one; the second reads the first's.
      try {
        writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    chmodSync(file, 0o600);
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new ConfigError(`The key file ${file} does not hold a 32-byte key: restore it from a backup, or set WFHUB_SECRET_KEY (credentials saved with the old key must then be added again).`, 'WFHUB_SECRET_KEY');
    return new CredentialCipher(key, file);
  }

  /** `v1.<nonce>.<tag>.<ciphertext>`, each base64url. */
  seal(plain: string): string {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [version, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), sealed.toString('base64url')].join('.');
  }

  open(value: string): string {
    const [tag, iv, auth, sealed, ...rest] = value.split('.');
    if (tag !== version || !iv || !auth || sealed === undefined || rest.length > 0) throw new SealedValueError('The stored credential is not in a form wfhub wrote: add the credential again.');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(auth, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SealedValueError(
        `The stored credential cannot be opened with the key from ${this.source === 'WFHUB_SECRET_KEY' ? 'WFHUB_SECRET_KEY' : 'the data dir'}: it was saved with another key (set the one it was saved with again), or it was changed. Otherwise add the credential again.`,
      );
    }
  }
}
