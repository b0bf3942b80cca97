import { Writable } from 'node:stream';

/** Where a test hub's server log goes (as `wfhub serve` writes it to stdout): kept, line by line. */
export class LogOutput extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.lines.push(String(chunk));
    done();
  }
}
