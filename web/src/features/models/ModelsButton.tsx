import { usePull } from './model-pull.js';

/** The header's way to the Models dialog; while a model is pulling, how far it is. */
export function ModelsButton({ onClick }: { onClick: () => void }) {
  const pull = usePull();
  const share = pull.phase === 'pulling' && pull.total ? Math.floor(((pull.completed ?? 0) / pull.total) * 100) : undefined;
  return (
    <button type="button" className="models-button" aria-haspopup="dialog" onClick={onClick}>
      Models
      {pull.phase === 'pulling' && <span className="count"> · pulling{share === undefined ? '…' : ` ${share}%`}</span>}
    </button>
  );
}
