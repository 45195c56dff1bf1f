// <hc-account>: who is logged in, in the top bar, linking to their account page, with a
// "Log out" button (a plain POST form to /logout), or a "Log in" link for an anonymous
// reader. Read from GET /v4/auth/me; shows nothing where the server has no login
// (PROTECTION_LEVEL=NONE). The links leave the app (rel="external": the router must not take
// them). A shadow root keeps it out of the light DOM that Leptos hydrates.

const STYLE = `
<style>
  :host { display: inline-flex; align-items: center; gap: 8px; }
  .name { color: var(--text-muted); border: none; padding: 4px 0; }
  form { margin: 0; }
  button, a { font: inherit; color: var(--accent); background: none; border: 1px solid var(--border); border-radius: 6px; padding: 4px 10px; cursor: pointer; text-decoration: none; }
  button:hover, a:hover { border-color: var(--accent); }
  :focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
</style>`;

class HindcastAccount extends HTMLElement {
  async connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: "open" });
    const response = await fetch("/v4/auth/me").catch(() => null);
    if (!response?.ok) return;
    const me = await response.json();
    if (!me.login) return;
    if (me.role) {
      const admin = me.role === "admin" ? `<a href="/admin" rel="external" title="Accounts and the audit log">Admin</a>` : "";
      root.innerHTML = `${STYLE}${admin}<a class="name" href="/account" rel="external" title="Your account: password and API tokens"></a><form method="post" action="/logout"><button type="submit">Log out</button></form>`;
      root.querySelector(".name").textContent = `${me.name} (${me.role})`;
    } else {
      const next = encodeURIComponent(location.pathname + location.search);
      root.innerHTML = `${STYLE}<a href="/login?next=${next}" rel="external">Log in</a>`;
    }
  }
}

customElements.define("hc-account", HindcastAccount);
