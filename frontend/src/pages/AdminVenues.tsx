/** /admin/venues: platform admins verify venues (any venue, not only their own). */
import "../features/features.css";

import { Link, useNavigate } from "react-router";

import { useAuth } from "../auth/AuthProvider";
import { AdminVerify } from "../features/venue/AdminVerify";

export default function AdminVenuesPage() {
  const { user, signOut } = useAuth();
  const navigate = useNavigate();
  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Socia admin</span>
        <Link to="/">Dashboard</Link>
        <div className="topbar__user">
          <button type="button" className="button--quiet" onClick={() => void signOut().finally(() => navigate("/sign-in"))}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="stack">
        <h1>Venues</h1>
        {user?.is_superuser ? (
          <AdminVerify />
        ) : (
          <p role="alert">Only platform administrators verify venues.</p>
        )}
      </main>
    </div>
  );
}
