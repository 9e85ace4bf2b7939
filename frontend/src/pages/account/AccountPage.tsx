/** The frame of the signed-out pages (sign-in, the pages emailed links open). */
import type { ReactNode } from "react";

export function AccountPage({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main id="main" className="sign-in">
      <div className="card account-card">
        <h1 id="account-title">{title}</h1>
        {children}
      </div>
    </main>
  );
}

/** The token an emailed link carries (`?token=`). */
export function linkToken(search: URLSearchParams): string {
  return (search.get("token") ?? "").trim();
}
