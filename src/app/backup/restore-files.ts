import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { syncFile } from './sync-file.js';
import { keyFileName } from '../../integrations/credential-cipher.js';

/**
 * The files a restore puts in the data dir: attachments and the key file. They are written aside
 * first (a folder inside attachments/, a temporary key file), moved into place only once every
 * row is in, and taken away again if the database's commit fails, so a failed restore leaves
 * the data dir as it was.
 */
export class RestoredFiles {
  readonly attachmentsDir: string;
  private readonly staging: string;
  private readonly stagedKey: string;
  private readonly staged: string[] = [];
  private keyStaged = false;
  private readonly moved: string[] = [];
  private readonly present: string[] = [];
  private keptKey: { from: string; to: string } | undefined;
  private replacedKey = false;

  constructor(readonly dataDir: string) {
    this.attachmentsDir = path.join(dataDir, 'attachments');
    const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
    this.staging = path.join(this.attachmentsDir, `.restore-${suffix}`);
    this.stagedKey = path.join(dataDir, `.${keyFileName}.restore-${suffix}`);
  }

  /** The attachments in place: moved there, or there already under the same name (the same upload). */
  get restored(): readonly string[] {
    return [...this.moved, ...this.present];
  }

  get keyFile(): string {
    return path.join(this.dataDir, keyFileName);
  }

  /** Writes an attachment's bytes aside (readable by the owner only, as uploads are). */
  async stage(name: string, chunks: AsyncIterable<Buffer>): Promise<void> {
    await mkdir(this.staging, { recursive: true, mode: 0o700 });
    const target = path.join(this.staging, name);
    const handle = await open(target, 'wx', 0o600);
    this.staged.push(name);
    try {
      for await (const chunk of chunks) await handle.write(chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async stageKey(key: Buffer): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    const handle = await open(this.stagedKey, 'w', 0o600);
    try {
      await handle.chmod(0o600);
      await handle.writeFile(key);
      await handle.sync();
    } finally {
      await handle.close();
    }
    this.keyStaged = true;
  }

  /**
   * Moves everything into place. A key file already there that differs from the backup's is kept
   * beside it (`secret.key.before-restore-<time>`), never lost.
   */
  async commit(now: Date): Promise<{ keyKept?: string }> {
    for (const name of this.staged) {
      const target = path.join(this.attachmentsDir, name);
      // Names are generated once per upload, and uploads never change: one there already (restoring
      // over the same hub with --force) is that very file. It stays, and a rollback leaves it alone.
      if (existsSync(target)) {
        this.present.push(name);
        continue;
      }
      await rename(path.join(this.staging, name), target);
      this.moved.push(name);
    }
    if (this.staged.length > 0) await syncFile(this.attachmentsDir);
    if (!this.keyStaged) return {};
    const current = this.keyFile;
    if (existsSync(current) && readFileSync(current).equals(readFileSync(this.stagedKey))) return {};
    if (existsSync(current)) {
      const aside = `${current}.before-restore-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
      await rename(current, aside);
      this.keptKey = { from: current, to: aside };
    }
    await rename(this.stagedKey, current);
    this.replacedKey = true;
    await syncFile(this.dataDir);
    return { keyKept: this.keptKey?.to };
  }

  /** Takes back what `commit` moved (the database did not commit). */
  async rollback(): Promise<void> {
    for (const name of this.moved) await rm(path.join(this.attachmentsDir, name), { force: true });
    if (this.replacedKey) {
      await rm(this.keyFile, { force: true });
      if (this.keptKey) await rename(this.keptKey.to, this.keptKey.from).catch(() => undefined);
    }
  }

  /** Removes what was written aside and not moved. */
  async cleanup(): Promise<void> {
    await rm(this.staging, { recursive: true, force: true });
    await rm(this.stagedKey, { force: true });
  }
}
