import { useCallback, useLayoutEffect, useRef } from 'react';

/**
 * A function that keeps its identity from render to render and always calls the latest `action`,
 * so memoised children given it are not drawn again because their parent was.
 */
export function useStableCallback<Args extends unknown[], Result>(action: (...args: Args) => Result): (...args: Args) => Result {
  const latest = useRef(action);
  useLayoutEffect(() => {
    latest.current = action;
  });
  return useCallback((...args: Args) => latest.current(...args), []);
}
