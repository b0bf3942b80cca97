/** Every query's key, in one place, so a change invalidates exactly what it touched. */
export const queryKeys = {
  health: ['health'] as const,
  projects: ['projects'] as const,
  project: (id: number) => ['projects', id] as const,
  tasks: (projectId: number) => ['projects', projectId, 'tasks'] as const,
  task: (id: number) => ['tasks', id] as const,
  criteria: (taskId: number) => ['tasks', taskId, 'criteria'] as const,
  comments: (taskId: number) => ['tasks', taskId, 'comments'] as const,
  attachments: (taskId: number) => ['tasks', taskId, 'attachments'] as const,
  runs: (taskId: number) => ['tasks', taskId, 'runs'] as const,
  run: (id: number) => ['runs', id] as const,
  diff: (runId: number) => ['runs', runId, 'diff'] as const,
  chats: (projectId: number) => ['projects', projectId, 'chats'] as const,
  chat: (id: number) => ['chats', id] as const,
  nodes: ['nodes'] as const,
  models: ['models'] as const,
};
