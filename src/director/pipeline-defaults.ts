/** The pipeline a project gets until it sets its own (plain constants: the web UI's reset uses them too). */
export const defaultPipeline: readonly string[] = ['dev', 'qa', 'documentation'];
export const defaultMaxAttempts = 3;
export const defaultCheckTimeoutSeconds = 300;
