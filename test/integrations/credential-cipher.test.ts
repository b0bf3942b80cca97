import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, secretValues } from '../../src/config/config.js';
import { CredentialCipher, keyFileName, SealedValueError } from '../../src/integrations/credential-cipher.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('the trackers\' credentials, sealed for the database', () => {
  const cleanups: (() => void)[] = [];
  const dataDir = () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    return path.join(dir, 'data');
  };
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));
  const token = 'ghp_16C7e42F292c6912E7710c838347Ae178B4a';

  it('seals a token so the stored text holds nothing of it, and opens it again', () => {
    const cipher = CredentialCipher.fromSecret('a long enough secret for tests');
    const sealed = cipher.seal(token);
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain(token);
    expect(sealed).not.toContain(Buffer.from(token).toString('base64').slice(0, 12));
    expect(cipher.open(sealed)).toBe(token);
    // A fresh nonce each time: the same token never seals to the same text.
    expect(cipher.seal(token)).not.toBe(sealed);
    expect(cipher.open(cipher.seal('ünïcode ✓'))).toBe('ünïcode ✓');
  });

  it('refuses a value changed in the database, or sealed with another key, saying what to do', () => {
    const cipher = CredentialCipher.fromSecret('a long enough secret for tests');
    const sealed = cipher.seal(token);
    const parts = sealed.split('.');
    const last = parts[3]!;
    parts[3] = (last[0] === 'A' ? 'B' : 'A') + last.slice(1);
    expect(() => cipher.open(parts.join('.'))).toThrow(SealedValueError);
    expect(() => CredentialCipher.fromSecret('another secret, just as long').open(sealed)).toThrow(/saved with another key/);
    expect(() => cipher.open('plain text')).toThrow(/not in a form wfhub wrote/);
    // The same secret makes the same key, in any process.
    expect(CredentialCipher.fromSecret('a long enough secret for tests').open(sealed)).toBe(token);
  });

  it('without WFHUB_SECRET_KEY, makes a key file only its owner can read, and keeps using it', () => {
    const dir = dataDir();
    const first = CredentialCipher.load({ dataDir: dir });
    const file = path.join(dir, keyFileName);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    const sealed = first.seal(token);
    // A later start reads the same key; a file left readable by others is made private again.
    chmodSync(file, 0o644);
    const later = CredentialCipher.load({ dataDir: dir });
    expect(later.open(sealed)).toBe(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Another data dir has another key.
    expect(() => CredentialCipher.load({ dataDir: dataDir() }).open(sealed)).toThrow(SealedValueError);
  });

  it('says what to do with a damaged key file', () => {
    const dir = dataDir();
    CredentialCipher.load({ dataDir: dir });
    writeFileSync(path.join(dir, keyFileName), 'not a key\n');
    expect(() => CredentialCipher.load({ dataDir: dir })).toThrow(ConfigError);
    expect(() => CredentialCipher.load({ dataDir: dir })).toThrow(/restore it from a backup, or set WFHUB_SECRET_KEY/);
  });

  it('takes WFHUB_SECRET_KEY from the configuration, refuses a short one without showing it, and hides it in logs', () => {
    const config = loadConfig({ env: { WFHUB_SECRET_KEY: 'a long enough secret for tests' }, dotenv: false, cwd: dataDir() });
    expect(config.secretKey).toBe('a long enough secret for tests');
    expect(secretValues(config)).toContain('a long enough secret for tests');
    expect(CredentialCipher.load(config).open(CredentialCipher.fromSecret('a long enough secret for tests').seal(token))).toBe(token);
    const refused = (() => {
      try {
        loadConfig({ env: { WFHUB_SECRET_KEY: 'short-key' }, dotenv: false, cwd: dataDir() });
      } catch (error) {
        return error as Error;
      }
    })();
    expect(refused).toBeInstanceOf(ConfigError);
    expect(refused!.message).toMatch(/WFHUB_SECRET_KEY=\(hidden\) must be at least 16 characters long/);
    expect(refused!.message).not.toContain('short-key');
  });
});
