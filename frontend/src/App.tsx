/**
 * Routes. Public: /sign-in, /register, /forgot-password and the pages emailed links open
 * (/verify-email, /reset-password; /invites/accept asks to sign in). Signed in: / opens the
 * first venue; every screen lives under /venues/:venueId/<section> inside <Layout>.
 * Each section's page is src/pages/<Name>.tsx, loaded on demand.
 */
import { QueryClientProvider } from "@tanstack/react-query";
import { lazy, type ReactNode, Suspense, useState } from "react";
import { BrowserRouter, Route, Routes } from "react-router";

import { makeQueryClient } from "./api/query";
import { AuthProvider, RequireAuth } from "./auth/AuthProvider";
import { Layout } from "./components/Layout";
import HomePage from "./pages/Home";
import NotFoundPage from "./pages/NotFound";
import SignInPage from "./pages/SignIn";
import { VenueProvider } from "./venue/VenueContext";

const VerifyEmailPage = lazy(() => import("./pages/account/VerifyEmail"));
const ResetPasswordPage = lazy(() => import("./pages/account/ResetPassword"));
const ForgotPasswordPage = lazy(() => import("./pages/account/ForgotPassword"));
const RegisterPage = lazy(() => import("./pages/account/Register"));
const AcceptInvitePage = lazy(() => import("./pages/account/AcceptInvite"));
const VenuePage = lazy(() => import("./pages/Venue"));
const MenusPage = lazy(() => import("./pages/Menus"));
const TablesPage = lazy(() => import("./pages/Tables"));
const PostersPage = lazy(() => import("./pages/Posters"));
const EventsPage = lazy(() => import("./pages/Events"));
const DoorPage = lazy(() => import("./pages/Door"));
const OrdersPage = lazy(() => import("./pages/Orders"));
const StaffPage = lazy(() => import("./pages/Staff"));
const ReportsPage = lazy(() => import("./pages/Reports"));

function Page({ children }: { children: ReactNode }) {
  return (
    <Suspense
      fallback={
        <p className="page-status" role="status">
          Loading…
        </p>
      }
    >
      {children}
    </Suspense>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/sign-in" element={<SignInPage />} />
      {/* The pages emailed links open (backend/app/core/links.py DASHBOARD_PATHS). */}
      <Route path="/verify-email" element={<Page><VerifyEmailPage /></Page>} />
      <Route path="/reset-password" element={<Page><ResetPasswordPage /></Page>} />
      <Route path="/forgot-password" element={<Page><ForgotPasswordPage /></Page>} />
      <Route path="/register" element={<Page><RegisterPage /></Page>} />
      <Route
        path="/invites/accept"
        element={
          <RequireAuth>
            <Page>
              <AcceptInvitePage />
            </Page>
          </RequireAuth>
        }
      />
      <Route
        path="/"
        element={
          <RequireAuth>
            <HomePage />
          </RequireAuth>
        }
      />
      <Route
        path="/venues/:venueId"
        element={
          <RequireAuth>
            <VenueProvider>
              <Layout />
            </VenueProvider>
          </RequireAuth>
        }
      >
        <Route index element={<Page><VenuePage /></Page>} />
        <Route path="menus" element={<Page><MenusPage /></Page>} />
        <Route path="tables" element={<Page><TablesPage /></Page>} />
        <Route path="posters" element={<Page><PostersPage /></Page>} />
        <Route path="events" element={<Page><EventsPage /></Page>} />
        <Route path="door" element={<Page><DoorPage /></Page>} />
        <Route path="orders" element={<Page><OrdersPage /></Page>} />
        <Route path="staff" element={<Page><StaffPage /></Page>} />
        <Route path="reports" element={<Page><ReportsPage /></Page>} />
      </Route>
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}

export default function App() {
  const [queryClient] = useState(makeQueryClient);
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <AuthProvider>
          <AppRoutes />
        </AuthProvider>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
