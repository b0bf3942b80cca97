/** The states a task moves through; the board has a column for each. */
export const taskStatuses = ['todo', 'in_progress', 'review', 'done', 'failed', 'blocked', 'cancelled'] as const;
export type TaskStatus = (typeof taskStatuses)[number];

export const taskPriorities = ['none', 'low', 'medium', 'high', 'urgent'] as const;
export type TaskPriority = (typeof taskPriorities)[number];
