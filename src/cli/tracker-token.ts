/** Where `wfhub import` may take a tracker's token from; at most one of them. */
export interface TokenSources {
  /** The name of an environment variable holding the token. */
  tokenEnv?: string;
  /** Read it from stdin (asked for, without echo, when stdin is a terminal). */
  tokenStdin?: boolean;
  /** The token itself, on the command line: the last resort (it lands in the shell's history). */
  token?: string;
}

export interface TokenIo {
  stdin: NodeJS.ReadStream;
  /** Where the prompt and warnings go (stderr). */
  notices: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** More than any tracker's token; a larger stdin is not a token. */
const maxTokenBytes = 16_384;

/** A variable's name safe to repeat in a message: a token given by mistake is not echoed. */
const shownName = (name: string) => (/^[A-Z_][A-Z0-9_]{0,63}$/.test(name) && !/\d{6}/.test(name) ? name : 'named by --token-env');

/**
 * The token from the one source given, or undefined when none is (a stored credential is used
 * then). A value is never repeated in a message, whatever is wrong with it.
 */
export async function readToken(sources: TokenSources, io: TokenIo, label: string): Promise<string | undefined> {
  if (sources.tokenEnv !== undefined) {
    const name = sources.tokenEnv;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error('--token-env takes the name of an environment variable holding the token (such as GITHUB_TOKEN), not the token itself.');
    }
    const value = io.env[name]?.trim();
    if (!value) {
      throw new Error(`The environment variable ${shownName(name)} is not set or empty. --token-env takes the name of a variable holding the token (such as GITHUB_TOKEN), not the token itself.`);
    }
    return value;
  }
  if (sources.tokenStdin) {
    const value = io.stdin.isTTY ? await askHidden(io, `${label}: `) : await readAll(io.stdin);
    if (!value) throw new Error('No token came on stdin: pipe it in (`... | wfhub import ... --token-stdin`), or paste it when asked.');
    return value;
  }
  if (sources.token !== undefined) {
    io.notices.write('warning: a token given with --token stays in the shell history and shows in the process list; prefer --token-env or --token-stdin.\n');
    const value = sources.token.trim();
    if (!value) throw new Error('--token is empty.');
    return value;
  }
  return undefined;
}

/** The first line of stdin (`pass show` prints the secret first, then other fields). */
async function readAll(input: NodeJS.ReadStream): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += String(chunk);
    if (text.length > maxTokenBytes) throw new Error(`stdin holds more than ${maxTokenBytes} bytes: that is not a token.`);
  }
  return (text.split(/\r?\n/).find((line) => line.trim() !== '') ?? '').trim();
}

/** Reads a line from the terminal without echoing it; Ctrl-C quits. */
function askHidden(io: TokenIo, prompt: string): Promise<string> {
  const { stdin, notices } = io;
  notices.write(prompt);
  return new Promise((resolve) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      notices.write('\n');
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || (char === '\u0004' && value === '')) {
          finish();
          return resolve(value.trim());
        }
        if (char === '\u0003') {
          finish();
          process.exit(130);
        }
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else if (char >= ' ') value += char;
      }
    };
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}
