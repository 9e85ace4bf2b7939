import { type RefObject, useEffect } from "react";

/**
 * After a failed submit, move the focus to the first field the API named (or to the
 * form's error), so keyboard and screen-reader users land on what to fix:
 *
 *   const formRef = useRef<HTMLFormElement>(null);
 *   useFocusFirstError(formRef, mutation.error);
 */
export function useFocusFirstError(ref: RefObject<HTMLElement | null>, error: unknown): void {
  useEffect(() => {
    if (!error || !ref.current) return;
    const target =
      ref.current.querySelector<HTMLElement>('[aria-invalid="true"]') ??
      ref.current.querySelector<HTMLElement>(".form-error");
    if (target) {
      if (!target.hasAttribute("tabindex") && target.classList.contains("form-error")) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus();
    }
  }, [error, ref]);
}
