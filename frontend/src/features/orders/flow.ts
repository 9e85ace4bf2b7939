/**
 * The staff's moves of an order (backend/app/services/order_flow.py), for the board's
 * buttons: the one-tap move forward, and refusing (reject before ready, cancel until
 * served), which refunds a paid order.
 */
import type { Schemas } from "../../api/client";

export type OrderRead = Schemas["OrderRead"];
export type SubOrderRead = Schemas["SubOrderRead"];
export type OrderStatus = Schemas["OrderStatus"];
export type OrderKind = Schemas["OrderKind"];

export interface Move {
  to: OrderStatus;
  label: string;
}

export function forwardMoves(status: OrderStatus, kind: OrderKind): Move[] {
  switch (status) {
    case "placed":
      return [{ to: "accepted", label: "Accept" }];
    case "accepted":
      return [
        { to: "preparing", label: "Start preparing" },
        { to: "ready", label: "Ready" },
      ];
    case "preparing":
      return [{ to: "ready", label: "Ready" }];
    case "ready":
      return kind === "pickup" ? [{ to: "picked_up", label: "Picked up" }] : [{ to: "served", label: "Served" }];
    case "served":
    case "picked_up":
      return [{ to: "completed", label: "Complete" }];
    default:
      return [];
  }
}

/** How staff refuse an order now: reject before it is ready, cancel when ready. */
export function refusal(status: OrderStatus): Move | null {
  if (status === "placed" || status === "accepted" || status === "preparing") return { to: "rejected", label: "Reject" };
  if (status === "ready") return { to: "cancelled", label: "Cancel" };
  return null;
}

export const STATUS_LABEL: Record<OrderStatus, string> = {
  awaiting_payment: "awaiting payment",
  placed: "new",
  accepted: "accepted",
  preparing: "preparing",
  ready: "ready",
  served: "served",
  picked_up: "picked up",
  completed: "completed",
  rejected: "rejected",
  cancelled: "cancelled",
  abandoned: "abandoned",
};

export const KIND_LABEL: Record<OrderKind, string> = { dine_in: "Dine-in", pickup: "Pickup", tab: "Tab" };
