/** Every query's key, in one place, so a change invalidates exactly what it touched. */
export const queryKeys = {
  health: ['health'] as const,
  projects: ['projects'] as const,
  tasks: (projectId: number) => ['projects', projectId, 'tasks'] as const,
};
