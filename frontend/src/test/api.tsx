/** Test helpers: a stubbed backend (fetch) and a render with the app's query client. */
import { QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { vi } from "vitest";

import { makeQueryClient } from "../api/query";

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

export interface Call {
  method: string;
  path: string;
  search: string;
  body: unknown;
}

/** Answer each request with `handler` (method, path) and record what was sent. */
export function stubApi(handler: (call: Call) => Response | Promise<Response>): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: Request) => {
      const url = new URL(input.url);
      const text = await input.clone().text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      const call = { method: input.method, path: url.pathname, search: url.search, body };
      calls.push(call);
      return handler(call);
    }),
  );
  return calls;
}

export function renderWithClient(ui: ReactElement) {
  const queryClient = makeQueryClient();
  return { queryClient, ...render(<QueryClientProvider client={queryClient}>{ui}</QueryClientProvider>) };
}
