import { useEffect } from 'react';

/** `Esc` closes what is open, even from a field; a control that used the key (an open menu) keeps it. */
export function useEscape(action: () => void): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      event.preventDefault();
      action();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [action]);
}
