/** `/`: open the first venue, or say there is none. */
import { Link, Navigate } from "react-router";

import { useAuth } from "../auth/AuthProvider";
import { venuePath } from "../nav";
import { useMyVenues } from "../venue/VenueContext";

export default function HomePage() {
  const venues = useMyVenues();
  const { signOut, user } = useAuth();
  if (venues.isPending) return <p className="page-status" role="status">Loading your venues…</p>;
  if (venues.isError) {
    return <p className="page-status" role="alert">Your venues could not be loaded: {venues.error.message}</p>;
  }
  const first = venues.data[0];
  if (first) return <Navigate to={venuePath(first.venue.id)} replace />;
  return (
    <main id="main" className="page-status">
      <h1>No venue yet</h1>
      <p>You are not on the team of any venue. Ask a venue's owner or manager to invite you.</p>
      {user?.is_superuser && (
        <p>
          You are a platform admin: <Link to="/admin/venues">verify venues</Link>.
        </p>
      )}
      <button type="button" onClick={() => void signOut()}>
        Sign out
      </button>
    </main>
  );
}
