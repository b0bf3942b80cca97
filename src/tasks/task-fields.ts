/** The states a task moves through; the board has a column for each. */
export const taskStatuses = ['todo', 'in_progress', 'review', 'done', 'failed', 'blocked', 'cancelled'] as const;
export type TaskStatus = (typeof taskStatuses)[number];

export const taskPriorities = ['none', 'low', 'medium', 'high', 'urgent'] as const;
export type TaskPriority = (typeof taskPriorities)[number];

/** A blocker or a subtask in one of these is out of the way (a cancelled one will never be done). */
export const finishedTaskStatuses: readonly TaskStatus[] = ['done', 'cancelled'];
