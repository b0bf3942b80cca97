import { useEffect, useRef, type MouseEvent, type ReactNode, type RefObject } from 'react';
import { useStableCallback } from './use-stable-callback.js';

/**
 * A modal <dialog>, open while it is rendered: the page behind is out of reach (the browser keeps
 * the focus inside), Esc or a click on the backdrop closes it, and the focus goes back to where it
 * was (the button that opened it) once it is gone.
 */
export function ModalDialog({
  labelledBy,
  className,
  onClose,
  initialFocus,
  children,
}: {
  /** The id of its heading. */
  labelledBy: string;
  className?: string;
  onClose: () => void;
  /** What takes the focus on opening; else the first control. */
  initialFocus?: RefObject<HTMLElement | null>;
  children: ReactNode;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const pressedOutside = useRef(false);
  const close = useStableCallback(onClose);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!element.open) element.showModal();
    initialFocus?.current?.focus();
    return () => {
      if (element.open) element.close();
      if (before?.isConnected) before.focus();
    };
    // Opened once, when it is rendered.
  }, []);
  return (
    <dialog
      ref={dialog}
      className={className ? `modal ${className}` : 'modal'}
      aria-labelledby={labelledBy}
      // The browser's own close request (Esc when nothing took it): closed by whoever renders it.
      onCancel={(event) => {
        event.preventDefault();
        close();
      }}
      onKeyDown={(event) => {
        if (event.key !== 'Escape' || event.defaultPrevented) return;
        // Not the task editor's or the Logs panel's Esc too: only what is on top closes.
        event.preventDefault();
        event.stopPropagation();
        close();
      }}
      // The backdrop is the dialog itself (its content is in the inner box); a press that began
      // inside (selecting text, say) and ended out there is not a click on it.
      onMouseDown={(event) => {
        pressedOutside.current = event.target === event.currentTarget;
      }}
      onClick={(event) => {
        if (event.target === event.currentTarget && pressedOutside.current) close();
      }}
    >
      <div className="modal-body">{children}</div>
    </dialog>
  );
}

/** A plain left click (not one opening a new tab): closes the dialog, then follows the link. */
export function followAndClose(event: MouseEvent<HTMLAnchorElement>, onClose: () => void): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  // A link removed from the page before the browser follows it goes nowhere: follow it first.
  event.preventDefault();
  window.location.hash = new URL(event.currentTarget.href).hash;
  onClose();
}
