import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { maxRunMinutes } from '../core/schema-helpers.js';

/**
 * wfhub's configuration, validated once at start. The variable names are a contract that users,
 * their `.env` files and later features rely on; `aliases` lists names accepted for compatibility.
 */
const variables = {
  host: { name: 'WFHUB_HOST', aliases: [] },
  port: { name: 'WFHUB_PORT', aliases: ['PORT'] },
  dataDir: { name: 'WFHUB_DATA_DIR', aliases: [] },
  workspacesDir: { name: 'WFHUB_WORKSPACES_DIR', aliases: ['WORKSPACES_DIR'] },
  databaseUrl: { name: 'DATABASE_URL', aliases: [] },
  ollamaHost: { name: 'OLLAMA_HOST', aliases: ['OLLAMA_API_BASE'] },
  model: { name: 'WFHUB_MODEL', aliases: [] },
  token: { name: 'WFHUB_TOKEN', aliases: [] },
  secretKey: { name: 'WFHUB_SECRET_KEY', aliases: [] },
  attachmentMaxBytes: { name: 'ATTACHMENT_MAX_BYTES', aliases: [] },
  gitUserName: { name: 'GIT_USER_NAME', aliases: [] },
  gitUserEmail: { name: 'GIT_USER_EMAIL', aliases: [] },
  logLevel: { name: 'WFHUB_LOG_LEVEL', aliases: [] },
  llmProvider: { name: 'WFHUB_LLM_PROVIDER', aliases: [] },
  openaiBaseUrl: { name: 'OPENAI_BASE_URL', aliases: ['OPENAI_API_BASE'] },
  openaiApiKey: { name: 'OPENAI_API_KEY', aliases: [] },
  numCtx: { name: 'WFHUB_NUM_CTX', aliases: [] },
  toolProtocol: { name: 'WFHUB_TOOL_PROTOCOL', aliases: [] },
  sandbox: { name: 'WFHUB_SANDBOX', aliases: [] },
  connectTimeout: { name: 'WFHUB_LLM_CONNECT_TIMEOUT', aliases: [] },
  firstTokenTimeout: { name: 'WFHUB_FIRST_TOKEN_TIMEOUT', aliases: [] },
  idleTimeout: { name: 'WFHUB_LLM_IDLE_TIMEOUT', aliases: [] },
  callTimeout: { name: 'WFHUB_LLM_TIMEOUT', aliases: [] },
  maxSteps: { name: 'WFHUB_MAX_STEPS', aliases: [] },
  maxRunMinutes: { name: 'WFHUB_MAX_RUN_MINUTES', aliases: [] },
  tokenBudget: { name: 'WFHUB_TOKEN_BUDGET', aliases: [] },
  maxConcurrentRuns: { name: 'WFHUB_MAX_CONCURRENT_RUNS', aliases: [] },
  director: { name: 'WFHUB_DIRECTOR', aliases: [] },
  webhooks: { name: 'WFHUB_WEBHOOKS', aliases: [] },
  modelCallDays: { name: 'WFHUB_MODEL_CALL_DAYS', aliases: [] },
  shutdownGrace: { name: 'WFHUB_SHUTDOWN_GRACE', aliases: [] },
  publicUrl: { name: 'WFHUB_PUBLIC_URL', aliases: ['APP_URL'] },
  visionModel: { name: 'WFHUB_VISION_MODEL', aliases: ['VISION_MODEL'] },
  visionModels: { name: 'WFHUB_VISION_MODELS', aliases: ['VISION_MODELS'] },
} as const satisfies Record<string, { name: string; aliases: readonly string[] }>;

type Key = keyof typeof variables;

/** Values never repeated in messages: they may hold passwords. */
const secretKeys = new Set<Key>(['token', 'secretKey', 'databaseUrl', 'openaiApiKey']);

/** Environment variables holding wfhub's secrets: never passed to commands an agent runs. */
export const secretVariableNames: readonly string[] = [...secretKeys].flatMap((key) => [variables[key].name, ...variables[key].aliases]);

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);

const httpUrl = z
  .string()
  .url('must be a URL such as http://127.0.0.1:11434')
  .refine((value) => /^https?:\/\//i.test(value), 'must start with http:// or https://');

/**
 * Ollama's own OLLAMA_HOST is often `host[:port]` without a scheme, and `0.0.0.0` (listen
 * everywhere) is common: both are read the way Ollama's client reads them, so the variable a user
 * already has works as it is.
 */
function ollamaAddress(value: unknown): unknown {
  if (typeof value !== 'string' || value.trim() === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim())) return value;
  const match = /^(\[[^\]]+\]|[^:/]+)(?::(\d+))?(\/.*)?$/.exec(value.trim());
  if (!match) return value;
  const host = match[1] === '0.0.0.0' ? '127.0.0.1' : match[1] === '[::]' ? '[::1]' : match[1];
  return `http://${host}:${match[2] ?? '11434'}${match[3] ?? ''}`;
}

const seconds = (fallback: number) =>
  z.coerce.number('must be a number of seconds').positive('must be a positive number of seconds').default(fallback);

const shape = {
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int('must be a whole number').min(0).max(65535).default(8002),
  dataDir: z.string().min(1).default('.wfhub'),
  workspacesDir: z.string().min(1).default('workspaces'),
  databaseUrl: z
    .string()
    .refine(
      (value) => /^postgres(ql)?:\/\//i.test(value),
      'must be a postgres:// or postgresql:// URL (leave it unset for the embedded database)',
    )
    .optional(),
  ollamaHost: z.preprocess(ollamaAddress, httpUrl).default('http://127.0.0.1:11434'),
  model: z.string().min(1).default('qwen2.5-coder:3b'),
  token: z.string().min(8, 'must be at least 8 characters long').optional(),
  /** Encrypts the trackers' credentials; without it, a key generated into the data dir. */
  secretKey: z.string().min(16, 'must be at least 16 characters long (openssl rand -base64 32 makes one)').optional(),
  attachmentMaxBytes: z.coerce
    .number()
    .int('must be a whole number of bytes')
    .positive('must be a positive number of bytes')
    .default(10 * 1024 * 1024),
  gitUserName: z.string().min(1).default('wfhub'),
  gitUserEmail: z.string().min(1).default('wfhub@localhost'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  llmProvider: z.enum(['ollama', 'openai'], 'must be "ollama" or "openai"').default('ollama'),
  openaiBaseUrl: httpUrl.default('https://api.openai.com/v1'),
  openaiApiKey: z.string().min(1).optional(),
  numCtx: z.coerce.number().int('must be a whole number of tokens').min(2048, 'must be at least 2048 tokens').max(1_048_576).default(16384),
  toolProtocol: z.enum(['auto', 'native', 'text'], 'must be "auto", "native" or "text"').default('auto'),
  sandbox: z.enum(['auto', 'bwrap', 'off'], 'must be "auto", "bwrap" or "off"').default('auto'),
  connectTimeout: seconds(10),
  firstTokenTimeout: seconds(300),
  idleTimeout: seconds(120),
  callTimeout: seconds(900),
  maxSteps: z.coerce.number().int('must be a whole number').min(1).max(10_000).default(40),
  maxRunMinutes: z.coerce
    .number('must be a number of minutes')
    .positive('must be a positive number of minutes')
    .max(maxRunMinutes, `must be at most ${maxRunMinutes} minutes (a day)`)
    .default(30),
  tokenBudget: z.coerce.number().int('must be a whole number of tokens').positive('must be a positive number of tokens').optional(),
  maxConcurrentRuns: z.coerce.number().int('must be a whole number').min(1).max(64).default(2),
  /** Whether `wfhub serve` takes tasks on autopilot through their pipelines (off: `wfhub director` does, or nobody). */
  director: z.enum(['on', 'off'], 'must be "on" or "off"').default('on'),
  /** Whether `wfhub serve` sends webhook deliveries (off: another server on the same PostgreSQL does, or nobody). */
  webhooks: z.enum(['on', 'off'], 'must be "on" or "off"').default('on'),
  /** How long the model-call log keeps each call (its bodies, its tokens for /usage), in days. */
  modelCallDays: z.coerce.number().int('must be a whole number of days').min(1, 'must be 1 day or more').max(3650).default(90),
  shutdownGrace: z.coerce.number('must be a number of seconds').min(0, 'must be 0 or more seconds').default(30),
  /** Where agents and links reach this server; by default its own address. */
  publicUrl: httpUrl.optional(),
  visionModel: z.string().trim().min(1).default('gemma3:4b'),
  /** The vision models a request may pick (comma-separated); the default one is always allowed. */
  visionModels: z
    .string()
    .optional()
    .transform((value) => (value ?? '').split(',').map((name) => name.trim()).filter(Boolean)),
} satisfies Record<Key, z.ZodType>;

const schema = z.object(
  Object.fromEntries(
    Object.entries(shape).map(([key, type]) => [key, z.preprocess(emptyToUndefined, type)]),
  ) as { [K in Key]: z.ZodPipe<z.ZodTransform, (typeof shape)[K]> },
);

export type Config = Omit<z.output<typeof schema>, 'publicUrl'> & {
  /** The embedded database lives here unless `databaseUrl` names a PostgreSQL server. */
  readonly databaseKind: 'pglite' | 'postgres';
  /** Where agents and links reach this server (WFHUB_PUBLIC_URL, or its own address). */
  readonly publicUrl: string;
};

export type ConfigOverrides = Partial<{ [K in Key]: string | number | undefined }>;

/** A configuration value was missing or malformed; the message names the variable to fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
  }
}

export interface LoadConfigOptions {
  /** Environment to read; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Directory relative paths are resolved against, and where `.env` is looked for. */
  cwd?: string;
  /** Explicit values (from CLI flags or code); they beat the environment. */
  overrides?: ConfigOverrides;
  /** Read `<cwd>/.env` for variables the environment does not set (default true). */
  dotenv?: boolean;
}

/** Reads the environment (and an optional `.env`), validates it and returns absolute paths. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const fileValues = options.dotenv === false ? {} : readDotenv(path.join(cwd, '.env'));
  const env = { ...fileValues, ...(options.env ?? process.env) };

  const raw: Record<string, unknown> = {};
  /** Which variable each value came from, so an error names the one the user set. */
  const source: Partial<Record<Key, string>> = {};
  for (const [key, variable] of Object.entries(variables) as [Key, (typeof variables)[Key]][]) {
    const override = options.overrides?.[key];
    if (override !== undefined) {
      raw[key] = String(override);
      continue;
    }
    const name = [variable.name, ...variable.aliases].find((candidate) => env[candidate] !== undefined && env[candidate] !== '');
    if (name) {
      raw[key] = env[name];
      source[key] = name;
    }
  }

  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0]) as Key;
    const name = source[key] ?? variables[key].name;
    const shown = secretKeys.has(key) ? '(hidden)' : JSON.stringify(raw[key]);
    const where = options.overrides?.[key] !== undefined ? 'the command-line option' : `${name} in the environment or in .env`;
    throw new ConfigError(`Invalid configuration: ${name}=${shown} ${issue.message}. Fix ${where}.`, name);
  }

  const value = parsed.data;
  return {
    ...value,
    ollamaHost: value.ollamaHost.replace(/\/+$/, ''),
    openaiBaseUrl: value.openaiBaseUrl.replace(/\/+$/, ''),
    dataDir: path.resolve(cwd, value.dataDir),
    workspacesDir: path.resolve(cwd, value.workspacesDir),
    databaseKind: value.databaseUrl ? 'postgres' : 'pglite',
    publicUrl: (value.publicUrl ?? `http://${publicHost(value.host)}:${value.port}`).replace(/\/+$/, ''),
    visionModels: [...new Set([value.visionModel, ...value.visionModels])],
  };
}

/** A host to put in links: a server listening everywhere is reached on loopback from here. */
function publicHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function readDotenv(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  return parseDotenv(readFileSync(file));
}

/** Loopback hosts are safe to serve without a token; anything else needs WFHUB_TOKEN. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/**
 * The values of wfhub's secrets in a configuration (the token, the secret key, the API key, the database's password
 * and a database URL holding one), for the logs to hide wherever they turn up.
 */
export function secretValues(config: Pick<Config, 'token' | 'openaiApiKey' | 'databaseUrl'> & Partial<Pick<Config, 'secretKey'>>): string[] {
  const values = [config.token, config.secretKey, config.openaiApiKey].filter((value): value is string => value !== undefined);
  if (config.databaseUrl) {
    // The database's address is no secret and logs name it; its password is.
    try {
      const password = new URL(config.databaseUrl).password;
      // The whole URL too, so a password too short to hide alone is not shown within it.
      if (password) values.push(config.databaseUrl, password, decodeURIComponent(password));
    } catch {
      // Not a URL the password can be read from: the whole value is hidden.
      values.push(config.databaseUrl);
    }
  }
  return values;
}

/** The variable names, for documentation and error messages. */
export const configVariables = variables;
