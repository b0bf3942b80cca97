/**
 * Readers for the deployment files, enough for test/deploy/deployment-files.test.ts to check
 * them against the code: a Dockerfile's instructions, the plain YAML subset the compose file is
 * written in, Compose's variable interpolation and .dockerignore's patterns. Anything outside
 * what they understand is an error, never a silent misreading.
 */

export interface DockerInstruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

export interface DockerStage {
  readonly base: string;
  readonly name?: string;
  readonly instructions: DockerInstruction[];
}

/** The stages of a Dockerfile, in order, each with its instructions (continuations joined). */
export function parseDockerfile(text: string): DockerStage[] {
  const stages: DockerStage[] = [];
  const globalArgs = new Map<string, string>();
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const first = index + 1;
    let current = lines[index]!.trim();
    if (current === '' || current.startsWith('#')) continue;
    while (current.endsWith('\\')) {
      current = current.slice(0, -1);
      // Comment lines inside a continued instruction are dropped, as Docker drops them.
      do index++;
      while (index < lines.length && /^\s*#/.test(lines[index]!));
      if (index >= lines.length) throw new Error(`Dockerfile line ${first}: continued past the end of the file`);
      current += ` ${lines[index]!.trim()}`;
    }
    const match = /^([A-Za-z]+)\s+(.*)$/.exec(current);
    if (!match) throw new Error(`Dockerfile line ${first}: cannot read "${current}"`);
    const keyword = match[1]!.toUpperCase();
    const args = match[2]!.trim();
    if (keyword === 'FROM') {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`Dockerfile line ${first}: cannot read FROM ${args}`);
      const base = from[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_all, braced: string, bare: string) => globalArgs.get(braced ?? bare) ?? '');
      stages.push({ base, ...(from[2] && { name: from[2] }), instructions: [] });
      continue;
    }
    if (stages.length === 0) {
      if (keyword !== 'ARG') throw new Error(`Dockerfile line ${first}: ${keyword} before the first FROM`);
      const [name, value = ''] = args.split('=', 2);
      globalArgs.set(name!, value);
      continue;
    }
    stages.at(-1)!.instructions.push({ keyword, args, line: first });
  }
  return stages;
}

/** The instructions of a stage with this keyword. */
export function instructions(stage: DockerStage, keyword: string): DockerInstruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

/** An instruction's exec form (`["a", "b"]`), or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) throw new Error(`not a list of strings: ${args}`);
  return parsed;
}

/** Splits arguments on spaces, honouring double and single quotes. */
export function words(args: string): string[] {
  const found: string[] = [];
  for (const match of args.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) {
    found.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] ?? match[3]!));
  }
  return found;
}

/** `ENV A=1 B="two"` (or the old `ENV A 1`) as a map. */
export function envInstruction(args: string): Record<string, string> {
  const parts = words(args);
  if (parts.length > 0 && !parts[0]!.includes('=')) return { [parts[0]!]: parts.slice(1).join(' ') };
  return Object.fromEntries(
    parts.map((part) => {
      const equals = part.indexOf('=');
      if (equals <= 0) throw new Error(`ENV ${args}: "${part}" is not NAME=value`);
      return [part.slice(0, equals), part.slice(equals + 1)];
    }),
  );
}

export interface CopyInstruction {
  readonly from?: string;
  readonly sources: string[];
  readonly destination: string;
}

/** `COPY [--from=stage] [--chown=...] source... destination`. */
export function copyInstruction(args: string): CopyInstruction {
  const parts = words(args);
  let from: string | undefined;
  while (parts[0]?.startsWith('--')) {
    const flag = parts.shift()!;
    if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
  }
  if (parts.length < 2) throw new Error(`COPY ${args}: needs a source and a destination`);
  return { ...(from && { from }), sources: parts.slice(0, -1), destination: parts.at(-1)! };
}

/** `HEALTHCHECK [--option=value...] CMD ...`: its options and command. */
export function healthcheckInstruction(args: string): { options: Record<string, string>; command: string } {
  const options: Record<string, string> = {};
  let rest = args;
  for (;;) {
    const option = /^--([\w-]+)=(\S+)\s+/.exec(rest);
    if (!option) break;
    options[option[1]!] = option[2]!;
    rest = rest.slice(option[0].length);
  }
  const command = /^CMD\s+(.*)$/i.exec(rest);
  if (!command) throw new Error(`HEALTHCHECK ${args}: expected CMD`);
  return { options, command: command[1]!.trim() };
}

// ---- YAML: the plain subset docker-compose.yml is written in -------------------------------

export type YamlValue = string | null | YamlValue[] | { [key: string]: YamlValue };

interface YamlLine {
  readonly indent: number;
  readonly text: string;
  readonly number: number;
}

function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let index = 0; index < line.length; index++) {
    const character = line[index]!;
    if (quote) {
      if (character === '\\' && quote === '"') index++;
      else if (character === quote) quote = undefined;
    } else if (character === '"' || character === "'") {
      quote = character;
    } else if (character === '#' && (index === 0 || /\s/.test(line[index - 1]!))) {
      return line.slice(0, index);
    }
  }
  return line;
}

/** The index of the `:` ending a mapping key (followed by a space or the end), outside quotes; -1 if none. */
function keyEnd(text: string): number {
  let quote: string | undefined;
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!;
    if (quote) {
      if (character === '\\' && quote === '"') index++;
      else if (character === quote) quote = undefined;
    } else if ((character === '"' || character === "'") && index === 0) {
      quote = character;
    } else if (character === ':' && (index === text.length - 1 || text[index + 1] === ' ')) {
      return index;
    }
  }
  return -1;
}

function unsupported(line: YamlLine, what: string): never {
  throw new Error(`docker-compose.yml line ${line.number}: ${what} is outside the plain YAML this test reads; keep the file plain`);
}

function scalar(raw: string, line: YamlLine): YamlValue {
  const text = raw.trim();
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) unsupported(line, 'an unterminated or multi-line string');
    return JSON.parse(text) as string;
  }
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) unsupported(line, 'an unterminated or multi-line string');
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) unsupported(line, 'a multi-line flow sequence');
    const inner = text.slice(1, -1).trim();
    if (inner === '') return [];
    const items: string[] = [];
    for (const match of inner.matchAll(/\s*("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^,[\]{}]+?)\s*(?:,|$)/g)) {
      items.push(scalar(match[1]!, line) as string);
    }
    return items;
  }
  if (text === '{}') return {};
  if (/^[&*!|>{]/.test(text) || text.startsWith('<<')) unsupported(line, `"${text[0]}" (anchors, aliases, tags, block scalars, flow mappings)`);
  if (text === '~' || text === 'null') return null;
  return text;
}

function block(lines: YamlLine[], start: number, indent: number): [YamlValue, number] {
  const first = lines[start]!;
  if (first.text === '-' || first.text.startsWith('- ')) return sequence(lines, start, indent);
  return mapping(lines, start, indent);
}

function mapping(lines: YamlLine[], start: number, indent: number): [YamlValue, number] {
  const result: { [key: string]: YamlValue } = {};
  let index = start;
  while (index < lines.length && lines[index]!.indent === indent) {
    const line = lines[index]!;
    if (line.text.startsWith('- ')) break;
    const end = keyEnd(line.text);
    if (end < 0) unsupported(line, `"${line.text}" (expected key: value)`);
    const key = scalar(line.text.slice(0, end), line);
    if (typeof key !== 'string') unsupported(line, 'a key that is not a string');
    if (key === '<<') unsupported(line, 'a merge key');
    if (Object.hasOwn(result, key)) throw new Error(`docker-compose.yml line ${line.number}: "${key}" appears twice`);
    const rest = line.text.slice(end + 1).trim();
    index++;
    if (rest !== '') {
      result[key] = scalar(rest, line);
    } else if (index < lines.length && lines[index]!.indent > indent) {
      [result[key], index] = block(lines, index, lines[index]!.indent);
    } else if (index < lines.length && lines[index]!.indent === indent && lines[index]!.text.startsWith('- ')) {
      [result[key], index] = sequence(lines, index, indent);
    } else {
      result[key] = null;
    }
  }
  if (index < lines.length && lines[index]!.indent > indent) unsupported(lines[index]!, 'unexpected indentation');
  return [result, index];
}

function sequence(lines: YamlLine[], start: number, indent: number): [YamlValue, number] {
  const result: YamlValue[] = [];
  let index = start;
  while (index < lines.length && lines[index]!.indent === indent && (lines[index]!.text === '-' || lines[index]!.text.startsWith('- '))) {
    const line = lines[index]!;
    const rest = line.text.slice(1).trimStart();
    if (rest === '') {
      index++;
      if (index >= lines.length || lines[index]!.indent <= indent) unsupported(line, 'an empty sequence item');
      let item: YamlValue;
      [item, index] = block(lines, index, lines[index]!.indent);
      result.push(item);
    } else if (keyEnd(rest) >= 0 && !/^["'[]/.test(rest)) {
      // "- key: value": a mapping whose first line is the rest of this one.
      const itemIndent = indent + (line.text.length - rest.length);
      const replaced = [...lines];
      replaced[index] = { indent: itemIndent, text: rest, number: line.number };
      let item: YamlValue;
      [item, index] = mapping(replaced, index, itemIndent);
      result.push(item);
    } else {
      result.push(scalar(rest, line));
      index++;
    }
  }
  return [result, index];
}

/** Parses block mappings, block sequences, quoted and plain scalars and one-line flow sequences. Scalars stay strings. */
export function parseYamlSubset(text: string): YamlValue {
  const lines: YamlLine[] = [];
  text.split('\n').forEach((raw, position) => {
    if (/^\t| \t/.test(raw)) throw new Error(`docker-compose.yml line ${position + 1}: tabs in indentation`);
    const content = withoutComment(raw).trimEnd();
    if (content.trim() === '') return;
    if (content === '---' || content === '...') throw new Error(`docker-compose.yml line ${position + 1}: one document only`);
    lines.push({ indent: content.length - content.trimStart().length, text: content.trim(), number: position + 1 });
  });
  if (lines.length === 0) return null;
  const [value, end] = block(lines, 0, lines[0]!.indent);
  if (end < lines.length) unsupported(lines[end]!, 'a line outside the document');
  return value;
}

// ---- Compose's interpolation -----------------------------------------------------------------

/**
 * Replaces `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}`, `${NAME?error}`,
 * `${NAME:+other}`, `${NAME+other}`, `$NAME` and `$$` as Compose does; a required variable that is
 * missing throws with its message.
 */
export function interpolate(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_]\w*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_]\w*)|\$\{[^}]*\}?/g, (all, name?: string, operator?: string, operand?: string, bare?: string) => {
    if (all === '$$') return '$';
    if (bare) return env[bare] ?? '';
    if (!name) throw new Error(`invalid interpolation "${all}"`);
    const current = env[name];
    const set = operator?.startsWith(':') ? current !== undefined && current !== '' : current !== undefined;
    switch (operator) {
      case undefined:
        return current ?? '';
      case ':-':
      case '-':
        return set ? current! : operand!;
      case ':?':
      case '?':
        if (!set) throw new Error(`required variable ${name} is missing a value: ${operand}`);
        return current!;
      default:
        return set ? operand! : '';
    }
  });
}

/** Interpolates every string of a parsed compose file. */
export function interpolateAll(value: YamlValue, env: Readonly<Record<string, string | undefined>>): YamlValue {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((item) => interpolateAll(item, env));
  if (value === null) return null;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateAll(item, env)]));
}

// ---- .dockerignore ---------------------------------------------------------------------------

function patternExpression(pattern: string): RegExp {
  let body = '';
  for (let index = 0; index < pattern.length; index++) {
    const character = pattern[index]!;
    if (character === '*' && pattern[index + 1] === '*') {
      body += pattern[index + 2] === '/' ? '(?:.*/)?' : '.*';
      index += pattern[index + 2] === '/' ? 2 : 1;
    } else if (character === '*') body += '[^/]*';
    else if (character === '?') body += '[^/]';
    else body += /[.+^${}()|[\]\\]/.test(character) ? `\\${character}` : character;
  }
  return new RegExp(`^${body}$`);
}

/** The patterns of a .dockerignore file, comments and blank lines left out. */
export function dockerignorePatterns(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * Whether the build context leaves out `relative` (a path from the context's root): the last
 * pattern matching it or a folder holding it decides, `!` patterns putting paths back.
 */
export function isDockerIgnored(patterns: readonly string[], relative: string): boolean {
  const segments = relative.split('/');
  const candidates = segments.map((_segment, index) => segments.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    const expression = patternExpression(pattern);
    if (candidates.some((candidate) => expression.test(candidate))) ignored = !negated;
  }
  return ignored;
}
