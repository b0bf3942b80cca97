import { loadConfig, type Config, type ConfigOverrides } from '../config/config.js';

/** Flags every command takes; an explicit flag beats the environment. */
export interface GlobalOptions {
  dataDir?: string;
  workspacesDir?: string;
  databaseUrl?: string;
}

export function configFrom(global: GlobalOptions, extra: ConfigOverrides = {}): Config {
  return loadConfig({
    overrides: {
      dataDir: global.dataDir,
      workspacesDir: global.workspacesDir,
      databaseUrl: global.databaseUrl,
      ...extra,
    },
  });
}
