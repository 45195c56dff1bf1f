// <hc-tree expid="a000">: the jobs as a tree, date → member → section → jobs, from
// GET /v4/experiments/{expid}/tree. Each folder shows completed/total and its failed,
// running, queuing and held jobs, and loads its contents the first time it is opened, so a
// 100k-job experiment costs one small request per opened folder. Everything lives in a shadow
// root, so the server-rendered light DOM that Leptos hydrates is never touched. When the
// experiment's events say jobs changed, the open folders are read again (at most once a
// second), keeping what is open.

import { follow, debounce } from "/live.js";

const FLAGGED = ["FAILED", "RUNNING", "QUEUING", "HELD"];

const TEMPLATE = `
<style>
  :host { display: block; border: 1px solid var(--border); border-radius: 8px; background: var(--surface); padding: 12px 16px; }
  .bar { display: flex; gap: 8px; align-items: center; margin-bottom: 8px; color: var(--text-muted); }
  button { font: inherit; padding: 3px 10px; border: 1px solid var(--border); border-radius: 6px; background: var(--surface); color: var(--text); cursor: pointer; }
  button:hover { border-color: var(--accent); }
  :focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
  ul { list-style: none; margin: 0; padding-left: 20px; }
  .root > ul { padding-left: 0; }
  summary { padding: 3px 0; cursor: pointer; }
  summary > * { margin-right: 8px; }
  .name { font-weight: 600; font-family: ui-monospace, monospace; }
  .kind { color: var(--text-muted); font-size: 0.85em; }
  .done { font-variant-numeric: tabular-nums; }
  .chip { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 0.8em; font-weight: 600; color: #111; }
  .job { padding: 2px 0; display: flex; gap: 8px; align-items: center; }
  .job a { color: var(--accent); font-family: ui-monospace, monospace; }
  .note { color: var(--text-muted); margin: 4px 0; }
  .error { color: var(--status-failed); margin: 4px 0; }
</style>
<div class="bar"><span class="info" aria-live="polite">Loading the tree…</span>
  <button type="button" data-act="close" hidden>Close all</button></div>
<div class="root"></div>`;

class HindcastTree extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: "open" });
    root.innerHTML = TEMPLATE;
    this.info = root.querySelector(".info");
    this.opened = new Set();
    root.querySelector("[data-act=close]").addEventListener("click", () => {
      root.querySelectorAll("details[open]").forEach((d) => { d.open = false; });
    });
    this.refresh();
    const refresh = debounce(() => this.refresh(), 1000);
    this.unfollow = follow(this.expid, { jobs: refresh, graph: refresh, reset: refresh });
  }

  disconnectedCallback() {
    this.unfollow?.();
    this.unfollow = null;
  }

  // Reads the top level again; folders that were open open again (and load their contents).
  async refresh() {
    const root = this.shadowRoot;
    const level = await this.openLevel(root.querySelector(".root"), {});
    if (!level) return;
    const jobs = level.folders.reduce((sum, f) => sum + f.total, level.jobs.length);
    this.info.textContent = jobs === 0 ? "No jobs yet: generate the graph from the Overview tab." : `${jobs.toLocaleString()} jobs`;
    root.querySelector("[data-act=close]").hidden = jobs === 0;
    this.setAttribute("data-state", "ready");
  }

  get expid() {
    return this.getAttribute("expid");
  }

  // Fetches one level and renders it into `container`; answers the level (or nothing on error).
  async openLevel(container, params) {
    const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v != null)).toString();
    const url = `/v4/experiments/${encodeURIComponent(this.expid)}/tree${query ? `?${query}` : ""}`;
    container.replaceChildren(note("Loading…"));
    try {
      const response = await fetch(url);
      const body = await response.json();
      if (!response.ok) throw new Error(body.error_message || `HTTP ${response.status}`);
      container.replaceChildren(this.renderLevel(body));
      return body;
    } catch (error) {
      const message = document.createElement("p");
      message.className = "error";
      message.setAttribute("role", "alert");
      message.textContent = `Could not load this folder: ${error.message}`;
      container.replaceChildren(message);
      if (!this.hasAttribute("data-state")) this.setAttribute("data-state", "error");
      return null;
    }
  }

  renderLevel(level) {
    const list = document.createElement("ul");
    for (const folder of level.folders) list.append(this.renderFolder(level, folder));
    for (const job of level.jobs) {
      const item = document.createElement("li");
      item.className = "job";
      const link = document.createElement("a");
      link.href = `/experiments/${encodeURIComponent(this.expid)}/graph?job=${encodeURIComponent(job.job_name)}`;
      link.textContent = job.job_name;
      item.append(chip(job.status ?? "UNKNOWN"), link);
      list.append(item);
    }
    return list;
  }

  renderFolder(level, folder) {
    const params = { date: level.date, member: level.member, section: level.section };
    params[folder.kind] = folder.name;
    const count = (status) => folder.counts.find((c) => c.status === status)?.count ?? 0;
    const item = document.createElement("li");
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.append(span("name", folder.name), span("kind", folder.kind),
      span("done", `${count("COMPLETED")}/${folder.total}`));
    summary.lastChild.title = "completed / total";
    for (const status of FLAGGED) {
      if (count(status) > 0) summary.append(chip(status, `${count(status)} ${status.toLowerCase()}`));
    }
    const contents = document.createElement("div");
    details.append(summary, contents);
    const key = JSON.stringify(params);
    details.addEventListener("toggle", () => {
      if (details.open) this.opened.add(key);
      else this.opened.delete(key);
      if (details.open && !details.dataset.loaded) {
        details.dataset.loaded = "true";
        this.openLevel(contents, params).then((loaded) => { if (!loaded) delete details.dataset.loaded; });
      }
    });
    item.append(details);
    if (this.opened.has(key)) details.open = true;
    return item;
  }
}

function span(className, text) {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

function chip(status, text = status) {
  const element = span("chip", text);
  element.style.background = `var(--status-${status.toLowerCase()})`;
  if (status === "FAILED") element.style.color = "#fff";
  return element;
}

function note(text) {
  const element = document.createElement("p");
  element.className = "note";
  element.textContent = text;
  return element;
}

if (!customElements.get("hc-tree")) customElements.define("hc-tree", HindcastTree);
