import { useState, type KeyboardEvent } from 'react';
import { taskStatuses, type TaskStatus } from '../../../../src/tasks/task-fields.js';
import { statusLabel } from '../../shared/format.js';

const browsingKeys = new Set(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'PageUp', 'PageDown']);

/**
 * A card's status menu. Picked with the mouse it applies at once; browsed with the arrow keys
 * (which change a closed menu's value step by step) it applies on Enter or when focus leaves,
 * so passing over "done" on the way to "review" moves nothing.
 */
export function StatusMenu({ title, status, onPick }: { title: string; status: TaskStatus; onPick: (status: TaskStatus, how: 'picked' | 'left') => void }) {
  const [draft, setDraft] = useState<TaskStatus | undefined>();
  const [browsing, setBrowsing] = useState(false);
  const commit = (value: TaskStatus | undefined, how: 'picked' | 'left' = 'picked') => {
    setDraft(undefined);
    setBrowsing(false);
    if (value && value !== status) onPick(value, how);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLSelectElement>) => {
    if (browsingKeys.has(event.key)) setBrowsing(true);
    else if (event.key === 'Enter') {
      event.preventDefault();
      commit(draft);
    } else if (event.key === 'Escape' && draft) {
      // Esc puts the menu back as it was (and keeps the task open, if one is).
      event.preventDefault();
      commit(undefined);
    }
  };
  return (
    <label className="status-menu">
      <span className="visually-hidden">Status of {title}</span>
      <select
        value={draft ?? status}
        onKeyDown={onKeyDown}
        onChange={(event) => {
          const value = event.target.value as TaskStatus;
          if (browsing) setDraft(value);
          else commit(value);
        }}
        onBlur={() => commit(draft, 'left')}
      >
        {taskStatuses.map((option) => (
          <option key={option} value={option}>
            {statusLabel(option)}
          </option>
        ))}
      </select>
    </label>
  );
}
