/**
 * A button for something that cannot be undone: the first press asks, in place, and
 * the action runs only on "Yes". Keyboard focus moves to the question and back.
 */
import { type ReactNode, useEffect, useRef, useState } from "react";

export interface ConfirmButtonProps {
  children: ReactNode;
  /** The question, e.g. "Cancel this event and refund every booking?" */
  question: ReactNode;
  confirmLabel?: string;
  onConfirm: () => void;
  disabled?: boolean;
  danger?: boolean;
  className?: string;
}

export function ConfirmButton({
  children,
  question,
  confirmLabel = "Yes",
  onConfirm,
  disabled,
  danger = true,
  className,
}: ConfirmButtonProps) {
  const [asking, setAsking] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) yes.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button
        ref={opener}
        type="button"
        className={[danger ? "button--danger" : "", className ?? ""].join(" ").trim() || undefined}
        disabled={disabled}
        onClick={() => setAsking(true)}
      >
        {children}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label="Confirm">
      <span className="confirm__question">{question}</span>
      <button
        ref={yes}
        type="button"
        className={danger ? "button--danger" : undefined}
        disabled={disabled}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" className="button--quiet" onClick={() => setAsking(false)}>
        No
      </button>
    </span>
  );
}
