import { QueryClient } from "@tanstack/react-query";

import { ApiError } from "../lib/errors";

/** Server state for the whole app. 4xx answers are not retried (they would not change). */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        refetchOnWindowFocus: false,
        retry: (count, error) =>
          !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      },
      mutations: { retry: false },
    },
  });
}
