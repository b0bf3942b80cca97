import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { Task } from '../../../../src/tasks/task.schema.js';
import { api, ApiError } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';

/** Autopilot on or off: the switch moves at once, the server's answer settles it. */
export function AutopilotSwitch({ task }: { task: Task }) {
  const client = useQueryClient();
  const [on, setOn] = useState(task.autopilot);
  useEffect(() => setOn(task.autopilot), [task.autopilot]);
  const save = useMutation({
    mutationFn: (autopilot: boolean) => api<Task>('PATCH', `/tasks/${task.id}`, { autopilot }),
    onSuccess: (saved) => {
      client.setQueryData(queryKeys.task(task.id), saved);
      void client.invalidateQueries({ queryKey: queryKeys.tasks(task.project_id) });
      void client.invalidateQueries({ queryKey: queryKeys.taskPipeline(task.id), exact: true });
    },
    onError: () => setOn(task.autopilot),
  });
  return (
    <div className="autopilot">
      <label className="switch">
        <input
          type="checkbox"
          role="switch"
          checked={on}
          aria-checked={on}
          disabled={save.isPending}
          onChange={(event) => {
            setOn(event.target.checked);
            save.mutate(event.target.checked);
          }}
        />
        <span>Autopilot</span>
      </label>
      {save.error instanceof ApiError && <p role="alert">{save.error.message}</p>}
    </div>
  );
}
