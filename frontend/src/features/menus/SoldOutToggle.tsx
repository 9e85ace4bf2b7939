/**
 * One tap to mark an item, a variant or an add-on sold out, and one tap back. Staff may
 * use it too. The button says what is true now (aria-pressed = sold out) and shows the
 * new state while the request is on its way; a refusal puts it back and says why.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";
import { menuKey, type OptionKind, type WholeMenu, withAvailability } from "./queries";

interface Props {
  venueId: string;
  kind: OptionKind;
  id: string;
  name: string;
  available: boolean;
}

function setAvailability(venueId: string, kind: OptionKind, id: string, available: boolean): Promise<{ is_available: boolean }> {
  const body = { is_available: available };
  if (kind === "item") {
    return unwrap(
      api.PUT("/api/v1/venues/{venue_id}/items/{item_id}/availability", {
        params: { path: { venue_id: venueId, item_id: id } },
        body,
      }),
    );
  }
  if (kind === "variant") {
    return unwrap(
      api.PUT("/api/v1/venues/{venue_id}/variants/{variant_id}/availability", {
        params: { path: { venue_id: venueId, variant_id: id } },
        body,
      }),
    );
  }
  return unwrap(
    api.PUT("/api/v1/venues/{venue_id}/add-ons/{add_on_id}/availability", {
      params: { path: { venue_id: venueId, add_on_id: id } },
      body,
    }),
  );
}

export function SoldOutToggle({ venueId, kind, id, name, available }: Props) {
  const queryClient = useQueryClient();
  const toggle = useMutation({
    mutationFn: (next: boolean) => setAvailability(venueId, kind, id, next),
    onSuccess: (saved) => {
      queryClient.setQueryData<WholeMenu>(menuKey(venueId), (menu) =>
        menu ? withAvailability(menu, kind, id, saved.is_available) : menu,
      );
      void queryClient.invalidateQueries({ queryKey: menuKey(venueId) });
    },
  });
  const shown = toggle.isPending ? toggle.variables : available;
  const soldOut = !shown;
  return (
    <span className="soldout">
      <button
        type="button"
        className={`button--small soldout-toggle${soldOut ? "" : " button--quiet"}`}
        aria-pressed={soldOut}
        aria-label={`${name}: sold out`}
        title={soldOut ? `Mark ${name} available again` : `Mark ${name} sold out`}
        onClick={() => toggle.mutate(!shown)}
        disabled={toggle.isPending}
      >
        {soldOut ? "Sold out" : "Available"}
      </button>
      {toggle.isError && (
        <span role="alert" className="field__error">
          {" "}
          Not changed: {toggle.error.message}
        </span>
      )}
    </span>
  );
}
