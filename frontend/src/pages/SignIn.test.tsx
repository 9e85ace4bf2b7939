import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it, vi } from "vitest";

import { makeQueryClient } from "../api/query";
import { AuthProvider } from "../auth/AuthProvider";
import SignInPage from "./SignIn";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/** The backend, as far as this form is concerned: no session to resume; sign-in answers `login`. */
function stubBackend(login: () => Response) {
  const calls: Request[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: Request) => {
      calls.push(input);
      if (input.url.includes("/auth/login") || input.url.includes("/auth/cookie/login")) return login();
      return json(401, { error: "invalid_refresh_token", detail: "Sign in again" });
    }),
  );
  return calls;
}

function renderSignIn() {
  render(
    <QueryClientProvider client={makeQueryClient()}>
      <MemoryRouter initialEntries={["/sign-in"]}>
        <AuthProvider>
          <Routes>
            <Route path="/sign-in" element={<SignInPage />} />
          </Routes>
        </AuthProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe("the sign-in form", () => {
  it("shows the API's 422 message next to the field it names", async () => {
    stubBackend(() =>
      json(422, {
        error: "invalid",
        detail: [{ loc: ["body", "email"], msg: "value is not a valid email address", type: "value_error" }],
      }),
    );
    renderSignIn();
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Email"), "not-an-email");
    await user.type(screen.getByLabelText("Password"), "whatever-1234");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    const email = screen.getByLabelText("Email");
    expect(await screen.findByText("value is not a valid email address")).toBeInTheDocument();
    expect(email).toHaveAttribute("aria-invalid", "true");
    expect(email).toHaveAccessibleDescription("value is not a valid email address");
    expect(screen.getByLabelText("Password")).not.toHaveAttribute("aria-invalid");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("shows a refused sign-in above the form", async () => {
    stubBackend(() => json(401, { error: "invalid_credentials", detail: "Incorrect email or password" }));
    renderSignIn();
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Email"), "manager@example.com");
    await user.type(screen.getByLabelText("Password"), "wrong-password");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Incorrect email or password");
    expect(screen.getByLabelText("Email")).not.toHaveAttribute("aria-invalid");
  });
});
