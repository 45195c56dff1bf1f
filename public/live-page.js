// Live updates for the server-rendered pages, from the experiment's events: the job table's
// statuses, the summary with its progress bar, and the running badge. Elements opt in with
// `data-live="<expid>"` (a container), `tr[data-job]` or `li[data-job]`, `[data-live-summary]` and
// `[data-live-state]`. The page's own markup is only patched in place (statuses, counts),
// never re-created, so what Leptos hydrated stays valid.

import { follow, debounce } from "/live.js";

const followed = new Map();

function scan() {
  const wanted = new Set([...document.querySelectorAll("[data-live]")].map((e) => e.dataset.live));
  for (const [expid, stop] of followed) {
    if (!wanted.has(expid)) {
      stop();
      followed.delete(expid);
    }
  }
  for (const expid of wanted) {
    if (!followed.has(expid)) followed.set(expid, follow(expid, handlers(expid)));
  }
}

function handlers(expid) {
  const summary = debounce(() => refreshSummary(expid), 500);
  return {
    jobs: ({ jobs }) => {
      updateRows(jobs);
      summary();
    },
    run: ({ run }) => updateState(expid, run),
    graph: summary,
    reset: summary,
  };
}

function updateRows(jobs) {
  const rows = new Map([...document.querySelectorAll("tr[data-job], li[data-job]")].map((row) => [row.dataset.job, row]));
  if (rows.size === 0) return;
  for (const { name, status } of jobs) {
    const chip = rows.get(name)?.querySelector(".job-status");
    if (!chip) continue;
    chip.className = `job-status job-status-${status.toLowerCase()}`;
    chip.textContent = status;
  }
}

async function refreshSummary(expid) {
  const box = document.querySelector(`[data-live-summary="${CSS.escape(expid)}"]`);
  if (!box) return;
  const response = await fetch(`/v4/experiments/${encodeURIComponent(expid)}/summary`);
  if (!response.ok) return;
  const summary = await response.json();
  const completed = summary.counts.find((c) => c.status === "COMPLETED")?.count ?? 0;
  const percent = summary.total ? Math.floor((completed * 100) / summary.total) : 0;
  box.querySelector(".progress")?.setAttribute("aria-valuenow", String(percent));
  const bar = box.querySelector(".progress-bar");
  if (bar) bar.style.width = `${percent}%`;
  const text = box.querySelector(".progress-text");
  if (text) text.textContent = `${completed} of ${summary.total} jobs completed (${percent}%)`;
  const chips = box.querySelector(".summary-chips");
  if (!chips) return;
  const items = new Map([...chips.querySelectorAll("li")].map((li) => [li.querySelector(".job-status")?.textContent, li]));
  for (const { status, count } of summary.counts) {
    let item = items.get(status);
    if (!item) {
      item = document.createElement("li");
      const link = Object.assign(document.createElement("a"), { className: "summary-link", href: `/experiments/${encodeURIComponent(expid)}/jobs?status=${status}` });
      const chip = Object.assign(document.createElement("span"), { className: `job-status job-status-${status.toLowerCase()}`, textContent: status });
      link.append(chip, Object.assign(document.createElement("span"), { className: "summary-count" }));
      item.append(link);
      chips.append(item);
    }
    item.hidden = false;
    item.querySelector(".summary-count").textContent = String(count);
    items.delete(status);
  }
  for (const item of items.values()) item.hidden = true; // no job left in that status
}

function updateState(expid, run) {
  const badge = document.querySelector(`[data-live-state="${CSS.escape(expid)}"] .badge`);
  if (!badge) return;
  const running = run.status === "running";
  badge.className = `badge ${running ? "status-running" : "status-idle"}`;
  badge.textContent = running ? "Running" : "Idle";
  badge.title = running ? "RUNNING" : "NOT RUNNING";
}

scan();
new MutationObserver(debounce(scan, 100)).observe(document.body, { childList: true, subtree: true });
