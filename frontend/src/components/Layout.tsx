/** The signed-in frame: top bar (venue switcher, user, sign out) and the section nav. */
import { NavLink, Outlet, useLocation, useNavigate } from "react-router";

import { useAuth } from "../auth/AuthProvider";
import { SECTIONS, venuePath } from "../nav";
import { useVenue } from "../venue/VenueContext";

const ROLE_LABEL = { owner: "owner", manager: "manager", staff: "staff" } as const;

export function VenueSwitcher() {
  const { venueId, venues } = useVenue();
  const navigate = useNavigate();
  const location = useLocation();
  // Stay on the same section when switching venue: /venues/<old>/menus -> /venues/<new>/menus
  const section = location.pathname.split("/")[3] ?? "";
  return (
    <div className="venue-switcher">
      <label htmlFor="venue-switcher">Venue</label>
      <select
        id="venue-switcher"
        value={venueId}
        onChange={(e) => navigate(venuePath(e.target.value, section))}
      >
        {venues.map(({ venue, role }) => (
          <option key={venue.id} value={venue.id}>
            {venue.name} ({ROLE_LABEL[role]})
          </option>
        ))}
      </select>
    </div>
  );
}

export function Layout() {
  const { user, signOut, signOutEverywhere } = useAuth();
  const { venueId } = useVenue();
  const navigate = useNavigate();
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Socia</span>
        <VenueSwitcher />
        <details className="account">
          <summary>
            <span className="account__name">{user?.full_name || user?.email || "Account"}</span>
          </summary>
          <div className="account__menu">
            <p className="muted">{user?.email}</p>
            <button type="button" onClick={() => void signOut().finally(() => navigate("/sign-in"))}>
              Sign out
            </button>
            <button
              type="button"
              className="button--quiet"
              onClick={() => void signOutEverywhere().finally(() => navigate("/sign-in"))}
            >
              Sign out everywhere
            </button>
          </div>
        </details>
      </header>
      <nav className="sections" aria-label="Sections">
        <ul>
          {SECTIONS.map((s) => (
            <li key={s.path}>
              <NavLink to={venuePath(venueId, s.path)} end={s.path === ""}>
                {s.label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
