import { useEffect, useRef, useState } from 'react';
import type { Task } from '../../../../src/tasks/task.schema.js';
import type { TaskStatus } from '../../../../src/tasks/task-fields.js';
import { statusLabel } from '../../shared/format.js';
import { cardsPerPage } from './board-page.js';
import { TaskCard, type CardActions } from './TaskCard.js';


/**
 * A status column. A long column draws its first cards and the rest a page at a time as the user
 * scrolls towards its end (or presses "Show more"), so a board of thousands of tasks opens at once.
 * A card that must be seen (the open one, or one just moved by keyboard) is always drawn.
 */
/** When the columns stack (styles.css says the same). */
const stackedColumns = '(max-width: 640px)';

export function BoardColumn({ status, tasks, openTaskId, keepId, actions }: { status: TaskStatus; tasks: Task[]; openTaskId?: number; keepId?: number; actions: CardActions }) {
  const [limit, setLimit] = useState(cardsPerPage);
  const mustShow = Math.max(...[openTaskId, keepId].map((id) => (id === undefined ? -1 : tasks.findIndex((task) => task.id === id))));
  const shown = Math.max(limit, mustShow + 1);
  const hidden = tasks.length - shown;
  const hasMore = hidden > 0;
  // A card drawn because it had to be stays drawn (focus may be on it).
  useEffect(() => {
    if (shown > limit) setLimit(shown);
  }, [shown, limit]);
  const more = useRef<HTMLLIElement>(null);
  const list = useRef<HTMLUListElement>(null);
  // After "Show more" (pressed, or reached while it had focus), focus goes to the first card it drew.
  const [focusFrom, setFocusFrom] = useState<number | undefined>();
  useEffect(() => {
    if (focusFrom === undefined) return;
    list.current?.querySelectorAll<HTMLElement>('.card .title')[focusFrom]?.focus();
    setFocusFrom(undefined);
  }, [focusFrom]);

  const showMore = () => {
    // Idempotent: two calls before a redraw still draw one page.
    setLimit((value) => Math.max(value, shown + cardsPerPage));
    if (more.current?.contains(document.activeElement)) setFocusFrom(shown);
  };

  useEffect(() => {
    const sentinel = more.current;
    if (!sentinel || typeof IntersectionObserver === 'undefined') return;
    // Stacked columns (a phone) scroll past one column to reach the next: there, only the button draws more.
    if (window.matchMedia(stackedColumns).matches) return;
    // A screen ahead of the end, so scrolling does not wait for cards.
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) showMore();
    }, { rootMargin: '0px 0px 100% 0px' });
    observer.observe(sentinel);
    return () => observer.disconnect();
  }, [hasMore, shown]);

  return (
    <section
      className="column"
      aria-label={`${statusLabel(status)} (${tasks.length})`}
      onDragOver={(event) => event.preventDefault()}
      // Dropped below the drawn cards, a card goes after the last one the user can see.
      onDrop={(event) => actions.drop(status, hasMore ? tasks[shown]?.id : undefined, event)}
    >
      <h3>
        {statusLabel(status)} <span className="count">{tasks.length}</span>
      </h3>
      <ul ref={list}>
        {tasks.slice(0, shown).map((task) => (
          <TaskCard key={task.id} task={task} current={task.id === openTaskId} actions={actions} />
        ))}
        {hasMore && (
          <li ref={more} className="more">
            <button
              type="button"
              onClick={showMore}
            >
              Show {Math.min(hidden, cardsPerPage)} more of {hidden}
            </button>
          </li>
        )}
      </ul>
    </section>
  );
}
