import { Link } from "react-router";

export default function NotFoundPage() {
  return (
    <main id="main" className="page-status">
      <h1>Page not found</h1>
      <p>
        <Link to="/">Back to the dashboard</Link>
      </p>
    </main>
  );
}
