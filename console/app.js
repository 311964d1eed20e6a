// The console's shell: sign-in once per browser session, then four pages behind a hash router.
import { render } from "./vendor/preact.js";
import { useEffect, useState } from "./vendor/hooks.js";
import { ApiError, get, post, setCsrf } from "./api.js";
import { html, ErrorBox } from "./ui.js";
import { ApprovalsPage } from "./pages/approvals.js";
import { ServersPage } from "./pages/servers.js";
import { PolicyPage } from "./pages/policy.js";
import { ActivityPage } from "./pages/activity.js";

const PAGES = [
  { id: "approvals", label: "Approvals", Page: ApprovalsPage },
  { id: "servers", label: "Servers & tools", Page: ServersPage },
  { id: "policy", label: "Policy", Page: PolicyPage },
  { id: "activity", label: "Activity", Page: ActivityPage },
];

function currentRoute() {
  const [page, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  return { page: PAGES.some((p) => p.id === page) ? page : "approvals", arg: rest.join("/") };
}

function SignIn({ onSignedIn }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    setBusy(true);
    setError(null);
    try {
      const session = await post("sign-in", { token: String(form.get("token")), ...(form.get("user") ? { user: String(form.get("user")) } : {}) });
      onSignedIn(session);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="sign-in">
    <h1>toolgate console</h1>
    <form onSubmit=${submit} autocomplete="off">
      <label>Admin token <input name="token" type="password" required autofocus /></label>
      <label>Your name (for the audit) <input name="user" type="text" placeholder="operator" maxlength="64" /></label>
      <button type="submit" disabled=${busy}>Sign in</button>
      <${ErrorBox} error=${error} />
    </form>
    <p class="muted">The token is the one given to <code>toolgate serve</code> with <code>--admin-token-file</code> or <code>TOOLGATE_ADMIN_TOKEN</code>. It is sent once; the browser keeps a session cookie until it closes.</p>
  </main>`;
}

function Shell({ session, onSignOut }) {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const on = () => setRoute(currentRoute());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  const page = PAGES.find((p) => p.id === route.page);
  return html`<div class="shell">
    <header>
      <span class="brand">toolgate</span>
      <nav>${PAGES.map((p) => html`<a href=${`#/${p.id}`} class=${p.id === route.page ? "active" : ""} aria-current=${p.id === route.page ? "page" : undefined}>${p.label}</a>`)}</nav>
      <span class="who">${session.user} <button class="link" onClick=${onSignOut}>Sign out</button></span>
    </header>
    <main><${page.Page} arg=${route.arg} /></main>
  </div>`;
}

function App() {
  const [session, setSession] = useState(undefined);
  const [error, setError] = useState(null);
  useEffect(() => {
    get("session")
      .then((s) => {
        if (!s.signedIn) return setSession(null);
        setCsrf(s.csrf);
        setSession(s);
      })
      .catch((e) => (e instanceof ApiError && e.status === 401 ? setSession(null) : setError(e)));
  }, []);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (session === undefined) return html`<p class="boot">Loading…</p>`;
  if (session === null)
    return html`<${SignIn}
      onSignedIn=${(s) => {
        setCsrf(s.csrf);
        setSession(s);
      }}
    />`;
  const signOut = async () => {
    await post("sign-out").catch(() => undefined);
    setSession(null);
  };
  return html`<${Shell} session=${session} onSignOut=${signOut} />`;
}

render(html`<${App} />`, document.getElementById("app"));
