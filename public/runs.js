// <hc-runs expid="a000">: an experiment's runs, live. Starts runs (any mode, force, queue,
// switches and environment), stops the experiment, cancels a run, and shows each run's job
// attempts and logs (tail, follow, earlier bytes, search, download). Live through the
// experiment's server-sent events (/v4/experiments/{expid}/events); a followed log's new bytes
// come on a second stream of the same events (?log_job=… or ?log_run=…, from the shown end).
// Everything lives in a shadow root, so the light DOM that Leptos hydrates is never touched.

const TAIL_BYTES = 64 * 1024;

const TEMPLATE = `
<style>
  :host { display: block; }
  section { border: 1px solid var(--border); border-radius: 8px; background: var(--surface); padding: 12px 16px; margin-bottom: 16px; }
  h2 { font-size: 1.05rem; margin: 0 0 8px; }
  .row { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; margin-bottom: 8px; }
  label { display: flex; flex-direction: column; gap: 4px; font-size: 0.9em; color: var(--text-muted); }
  label.choice { flex-direction: row; align-items: center; color: var(--text); }
  input, select, textarea { font: inherit; padding: 4px 8px; border: 1px solid var(--border); border-radius: 6px; background: var(--surface); color: var(--text); }
  textarea { font-family: ui-monospace, monospace; width: 22rem; }
  label, input, select, textarea { max-width: 100%; box-sizing: border-box; }
  .scroll { overflow-x: auto; }
  button { font: inherit; padding: 4px 12px; border: 1px solid var(--border); border-radius: 6px; background: var(--surface); color: var(--text); cursor: pointer; }
  button.primary { background: var(--accent); color: var(--accent-contrast, #fff); border-color: var(--accent); }
  button.danger { border-color: var(--status-failed); color: var(--status-failed); }
  button:hover { border-color: var(--accent); }
  :focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
  table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--border); vertical-align: top; }
  tr.selected { background: var(--surface-raised, rgba(127,127,127,0.12)); }
  tbody tr[data-run] { cursor: pointer; }
  .mono { font-family: ui-monospace, monospace; }
  .chip { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 0.85em; font-weight: 600; color: #111; }
  .queued { background: var(--status-waiting); } .running { background: var(--status-running); }
  .passed, .COMPLETED { background: var(--status-completed); } .failed, .FAILED { background: var(--status-failed); color: #fff; }
  .cancelled { background: var(--status-suspended); } .RUNNING { background: var(--status-running); } .SUBMITTED { background: var(--status-submitted); }
  .muted { color: var(--text-muted); }
  .error { color: var(--status-failed); margin: 6px 0; }
  .ok { color: var(--text); margin: 6px 0; }
  pre { max-height: 28rem; overflow: auto; background: var(--surface-sunken, rgba(127,127,127,0.08)); padding: 8px; border-radius: 6px; margin: 8px 0 0; white-space: pre-wrap; word-break: break-all; }
  mark { background: var(--status-completed); color: #111; }
</style>
<section aria-labelledby="start-title">
  <h2 id="start-title">Start a run</h2>
  <form class="start">
    <div class="row">
      <label>Mode <select name="mode">
        <option value="all">Every job not completed</option>
        <option value="with_predecessors">Selected jobs and their missing predecessors</option>
        <option value="selected_only">Selected jobs only</option>
        <option value="predecessors_only">Predecessors of the selection only</option>
        <option value="with_downstream">Selected jobs and everything downstream</option>
      </select></label>
      <label>Jobs (one per line) <textarea name="jobs" rows="2" placeholder="a000_19600101_fc0_1_SIM"></textarea></label>
      <label>Environment (NAME=value per line) <textarea name="env" rows="2"></textarea></label>
      <label>Switches <input name="switches" placeholder="--fast --debug"></label>
      <label>Per job (JOB NAME=value or JOB --switch, per line) <textarea name="per_job" rows="2" placeholder="a000_19600101_fc0_1_SIM NPROC=4"></textarea></label>
    </div>
    <div class="row">
      <label class="choice"><input type="checkbox" name="force"> Re-run completed jobs (force)</label>
      <label class="choice"><input type="checkbox" name="force_downstream"> …and their downstream</label>
      <label class="choice"><input type="checkbox" name="queue"> Queue behind an active run</label>
    </div>
    <div class="row">
      <label>Start at (optional, your time) <input type="datetime-local" name="start_at"></label>
      <label>Repeat every (optional: 30m, 6h, 1d) <input name="repeat_every" size="10"></label>
    </div>
    <div class="row">
      <button type="submit" class="primary" data-act="start">Start run</button>
      <button type="button" class="danger" data-act="stop">Stop the experiment</button>
      <span class="live muted" aria-live="polite">Connecting…</span>
    </div>
    <div class="message" role="status" aria-live="polite"></div>
  </form>
</section>
<section aria-labelledby="status-title">
  <h2 id="status-title">Set job statuses</h2>
  <form class="set-status">
    <div class="row">
      <label>Jobs (one per line) <textarea name="names" rows="2"></textarea></label>
      <label>…or by section <input name="section" placeholder="SIM"></label>
      <label>…currently in status <input name="from" placeholder="FAILED"></label>
      <label>New status <select name="status">
        <option>COMPLETED</option><option>WAITING</option><option>READY</option><option>FAILED</option>
        <option>SUSPENDED</option><option>HELD</option><option>SKIPPED</option><option>DELAYED</option><option>UNKNOWN</option>
      </select></label>
    </div>
    <div class="row">
      <button type="submit" data-dry="true">Preview</button>
      <button type="submit" class="primary">Apply</button>
    </div>
    <div class="status-message" role="status" aria-live="polite"></div>
  </form>
</section>
<section aria-labelledby="runs-title">
  <h2 id="runs-title">Runs</h2>
  <div class="scroll"><table><thead><tr><th>Run</th><th>Status</th><th>Mode</th><th>Jobs</th><th>By</th><th>Started</th><th>Ended</th><th>Message</th><th></th></tr></thead>
  <tbody class="runs"><tr><td colspan="9" class="muted">Loading…</td></tr></tbody></table></div>
</section>
<section class="detail" hidden aria-live="polite">
  <h2 class="detail-title"></h2>
  <div class="scroll"><table><thead><tr><th>Job</th><th>Attempt</th><th>Status</th><th>Where</th><th>Exit</th><th>Reason</th><th>Report</th><th>Started</th><th>Ended</th><th>Logs</th></tr></thead>
  <tbody class="attempts"></tbody></table></div>
  <div class="row" style="margin-top:12px">
    <strong class="log-title">Run log</strong>
    <button type="button" data-act="earlier">Earlier</button>
    <label class="choice"><input type="checkbox" data-act="follow" checked> Follow</label>
    <label>Search (Enter: the whole log) <input type="search" data-act="search"></label>
    <a class="download" href="#" download>Download whole log</a>
    <span class="log-size muted"></span>
  </div>
  <pre class="log" tabindex="0"></pre>
</section>`;

const time = (t) => (t ? new Date(t).toLocaleString() : "—");
const el = (tag, { dataset, ...props } = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset || {});
  node.append(...children.filter((c) => c != null));
  return node;
};
// Where an attempt ran: a Slurm job (id, partition, nodes, login node) or a local process.
const placement = (a) => {
  const id = a.executor_id || "";
  if (!id.startsWith("slurm:")) return id ? "local" : "";
  const [job, via] = id.slice(6).split(/@(.*)/s);
  return [`Slurm ${job}`, a.queue, a.nodes, via ? `via ${via}` : ""].filter(Boolean).join(" · ");
};
// A job's last report: "50% half way · sypd 3.5".
const report = (a) => [a.progress != null ? `${a.progress}%` : "", a.status_message || "",
  Object.entries(a.metrics || {}).map(([k, v]) => `${k} ${v}`).join(", ")].filter(Boolean).join(" · ");
const chip = (text) => el("span", { className: `chip ${text}`, textContent: text });

class HindcastRuns extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: "open" });
    root.innerHTML = TEMPLATE;
    this.ui = Object.fromEntries(["runs", "attempts", "detail", "message", "live", "log", "log-title", "log-size", "detail-title", "download"]
      .map((c) => [c, root.querySelector(`.${c}`)]));
    this.runList = new Map();
    this.log = null;
    root.querySelector("form.start").addEventListener("submit", (e) => { e.preventDefault(); this.start(e.target); });
    root.querySelector("[data-act=stop]").addEventListener("click", () => this.stop());
    root.querySelector("[data-act=earlier]").addEventListener("click", () => this.earlier());
    const searchBox = root.querySelector("[data-act=search]");
    searchBox.addEventListener("input", (e) => { this.search = e.target.value; this.renderLog(); });
    searchBox.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); this.searchWhole(0); } });
    root.querySelector("form.set-status").addEventListener("submit", (e) => { e.preventDefault(); this.setStatus(e.target, e.submitter); });
    this.follow = root.querySelector("[data-act=follow]");
    this.follow.addEventListener("change", () => this.followLog());
    this.ui.runs.addEventListener("click", (e) => this.onRunClick(e));
    this.reload().then(() => this.connect());
  }

  disconnectedCallback() {
    clearTimeout(this.attemptsTimer);
    this.stopFollowing();
    if (this.events) this.events.close();
  }

  // Events come in bursts: the attempts are read again once they pause.
  attemptsChanged() {
    clearTimeout(this.attemptsTimer);
    this.attemptsTimer = setTimeout(() => this.loadAttempts(), 500);
  }

  get base() {
    return `/v4/experiments/${encodeURIComponent(this.getAttribute("expid"))}`;
  }

  async api(path, options) {
    const res = await fetch(`${this.base}${path}`, options);
    const body = res.headers.get("content-type")?.includes("json") ? await res.json() : await res.text();
    if (!res.ok) throw new Error(body.error_message || `HTTP ${res.status}`);
    return body;
  }

  say(text, error = false) {
    this.ui.message.className = `message ${error ? "error" : "ok"}`;
    this.ui.message.textContent = text;
  }

  async reload() {
    try {
      const { runs } = await this.api("/runs");
      this.runList = new Map(runs.map((r) => [r.id, r]));
      this.renderRuns();
      if (this.selected && this.runList.has(this.selected)) this.loadAttempts();
      this.setAttribute("data-state", "ready");
    } catch (err) {
      this.ui.runs.replaceChildren(el("tr", {}, el("td", { colSpan: 9, className: "error", textContent: err.message })));
    }
  }

  connect() {
    this.events = new EventSource(`${this.base}/events`);
    this.events.addEventListener("hello", () => { this.ui.live.textContent = "Live"; });
    this.events.addEventListener("reset", () => this.reload());
    this.events.addEventListener("run", (e) => {
      const { run } = JSON.parse(e.data);
      this.runList.set(run.id, run);
      this.renderRuns();
      if (run.id === this.selected) this.loadAttempts();
    });
    this.events.addEventListener("jobs", () => { if (this.selected) this.attemptsChanged(); });
    this.events.addEventListener("report", (e) => {
      const { attempt } = JSON.parse(e.data);
      if (attempt.run_id === this.selected) this.attemptsChanged();
    });
    this.events.onerror = () => { this.ui.live.textContent = "Reconnecting…"; };
  }

  renderRuns() {
    const runs = [...this.runList.values()].sort((a, b) => b.id - a.id);
    if (runs.length === 0) {
      this.ui.runs.replaceChildren(el("tr", {}, el("td", { colSpan: 9, className: "muted", textContent: "No runs yet." })));
      return;
    }
    this.ui.runs.replaceChildren(...runs.map((r) => {
      const active = r.status === "queued" || r.status === "running";
      const cancel = active ? el("button", { type: "button", textContent: "Cancel", dataset: { cancel: r.id } }) : null;
      const row = el("tr", { dataset: { run: r.id }, className: r.id === this.selected ? "selected" : "" },
        el("td", { className: "mono", textContent: `#${r.id}` }), el("td", {}, chip(r.status)),
        el("td", { textContent: r.mode.replaceAll("_", " ") + (r.force ? ", force" : "") }),
        el("td", { textContent: `${r.planned_jobs}${r.jobs.length ? ` (${r.jobs.length} selected)` : ""}` }),
        el("td", { textContent: r.requested_by }),
        el("td", { textContent: r.started_at || r.status !== "queued" || !r.start_at ? time(r.started_at) : `scheduled ${time(r.start_at)}` }),
        el("td", { textContent: time(r.finished_at) }), el("td", { textContent: [r.repeat_every ? `every ${r.repeat_every}` : "", r.message || ""].filter(Boolean).join(" · ") }),
        el("td", {}, cancel));
      return row;
    }));
  }

  async onRunClick(e) {
    const cancel = e.target.closest("[data-cancel]");
    if (cancel) {
      try {
        await this.api(`/runs/${cancel.dataset.cancel}/cancel`, { method: "POST" });
        this.say(`Run #${cancel.dataset.cancel} cancelled.`);
      } catch (err) { this.say(err.message, true); }
      return;
    }
    const row = e.target.closest("[data-run]");
    if (!row) return;
    this.selected = Number(row.dataset.run);
    this.renderRuns();
    this.ui.detail.hidden = false;
    this.ui["detail-title"].textContent = `Run #${this.selected}`;
    this.loadAttempts();
    this.openLog(`/runs/${this.selected}/log`, `Run #${this.selected} log`, `log_run=${this.selected}`);
  }

  async loadAttempts() {
    const id = this.selected;
    try {
      const { attempts } = await this.api(`/runs/${id}/attempts`);
      if (id !== this.selected) return;
      this.ui.attempts.replaceChildren(...attempts.map((a) => {
        const logs = el("td", {}, ...["out", "err"].map((stream) => el("button", {
          type: "button", textContent: stream,
          onclick: () => this.openLog(`/jobs/${encodeURIComponent(a.job_name)}/log?stream=${stream}&run_id=${a.run_id}&attempt=${a.attempt}`,
            `${a.job_name} attempt ${a.attempt} std${stream}`,
            `log_job=${encodeURIComponent(a.job_name)}&log_stream=${stream}&log_run_id=${a.run_id}&log_attempt=${a.attempt}`),
        })));
        return el("tr", {}, el("td", { className: "mono", textContent: a.job_name }), el("td", { textContent: a.attempt }),
          el("td", {}, chip(a.status)), el("td", { className: "mono", textContent: placement(a), title: a.executor_id || "" }), el("td", { textContent: a.exit_code ?? "" }), el("td", { textContent: a.reason || "" }),
          el("td", { textContent: report(a) }), el("td", { textContent: time(a.started_at) }), el("td", { textContent: time(a.finished_at) }), logs);
      }));
      if (attempts.length === 0) this.ui.attempts.replaceChildren(el("tr", {}, el("td", { colSpan: 10, className: "muted", textContent: "No job has started yet." })));
    } catch (err) { this.say(err.message, true); }
  }

  // Shows the last TAIL_BYTES of a log, then follows it while "Follow" is checked. `follow`
  // names the log to the event stream.
  async openLog(path, title, follow) {
    this.stopFollowing();
    const sep = path.includes("?") ? "&" : "?";
    this.log = { path, sep, follow, text: "", start: 0, end: 0, ended: false };
    this.ui["log-title"].textContent = title;
    this.ui.download.href = `${this.base}${path}${sep}download=true`;
    const res = await fetch(`${this.base}${path}${sep}tail=${TAIL_BYTES}`);
    if (!res.ok || this.log.path !== path) return;
    this.log.text = await res.text();
    this.log.start = Number(res.headers.get("x-log-offset") || 0);
    this.log.end = Number(res.headers.get("x-log-size") || 0);
    this.renderLog();
    this.followLog();
  }

  // New bytes of the shown log from the event stream, from its shown end. After an error the
  // stream is opened again from the end then shown (the browser would start where it began).
  followLog() {
    this.stopFollowing();
    const log = this.log;
    if (!log || log.ended || !this.follow.checked) return;
    const source = new EventSource(`${this.base}/events?${log.follow}&log_offset=${log.end}`);
    this.logEvents = source;
    source.addEventListener("log", (e) => {
      const chunk = JSON.parse(e.data);
      if (this.log !== log || chunk.offset !== log.end) return;
      log.text += chunk.text;
      log.end = chunk.next_offset;
      this.renderLog();
    });
    source.addEventListener("log_end", () => {
      log.ended = true;
      this.stopFollowing();
      this.renderLog();
    });
    source.onerror = () => {
      this.stopFollowing();
      this.logRetry = setTimeout(() => { if (this.log === log) this.followLog(); }, 2000);
    };
  }

  stopFollowing() {
    clearTimeout(this.logRetry);
    if (this.logEvents) this.logEvents.close();
    this.logEvents = null;
  }

  // Searches the whole file on the server (in spans of 256 MB), listing matching lines.
  async searchWhole(from) {
    const log = this.log;
    const needle = (this.search || "").trim();
    if (!log || !needle) return;
    this.follow.checked = false;
    this.stopFollowing();
    const res = await fetch(`${this.base}${log.path}${log.sep}search=${encodeURIComponent(needle)}&offset=${from}`);
    const found = await res.json();
    if (!res.ok) { this.say(found.error_message, true); return; }
    const pre = this.ui.log;
    if (from === 0) pre.replaceChildren();
    for (const m of found.matches) pre.append(el("span", { className: "muted", textContent: `@${m.offset} ` }), m.line, "\n");
    if (found.next_offset != null) {
      pre.append(el("button", { type: "button", textContent: `More (from byte ${found.next_offset.toLocaleString()})`, onclick: (e) => { e.target.remove(); this.searchWhole(found.next_offset); } }));
    } else if (!pre.childNodes.length) {
      pre.textContent = `No line of the log contains “${needle}”.`;
    }
    this.ui["log-size"].textContent = `searched ${found.size.toLocaleString()} bytes`;
  }

  async earlier() {
    const log = this.log;
    if (!log || log.start === 0) return;
    const from = Math.max(0, log.start - TAIL_BYTES);
    const res = await fetch(`${this.base}${log.path}${log.sep}offset=${from}&length=${log.start - from}`);
    if (!res.ok || this.log !== log) return;
    log.text = (await res.text()) + log.text;
    log.start = from;
    this.renderLog(false);
  }

  renderLog(scroll = true) {
    const log = this.log;
    if (!log) return;
    const pre = this.ui.log;
    const needle = (this.search || "").trim();
    if (!needle) {
      pre.textContent = log.text || "(empty)";
    } else {
      const lines = log.text.split("\n").filter((l) => l.toLowerCase().includes(needle.toLowerCase()));
      pre.replaceChildren(...lines.flatMap((line) => {
        const at = line.toLowerCase().indexOf(needle.toLowerCase());
        return [line.slice(0, at), el("mark", { textContent: line.slice(at, at + needle.length) }), line.slice(at + needle.length) + "\n"];
      }));
      if (lines.length === 0) pre.textContent = `No loaded line contains “${needle}”. Load earlier bytes to search further.`;
    }
    this.ui["log-size"].textContent = `bytes ${log.start.toLocaleString()}–${log.end.toLocaleString()}${log.ended ? " (ended)" : ""}`;
    if (scroll && this.follow.checked) pre.scrollTop = pre.scrollHeight;
  }

  async start(form) {
    const data = new FormData(form);
    const lines = (name) => String(data.get(name) || "").split("\n").map((l) => l.trim()).filter(Boolean);
    const env = {};
    for (const line of lines("env")) {
      const eq = line.indexOf("=");
      if (eq < 1) { this.say(`Environment line “${line}” is not NAME=value.`, true); return; }
      env[line.slice(0, eq).trim()] = line.slice(eq + 1);
    }
    const jobExtras = {};
    for (const line of lines("per_job")) {
      const [job, ...words] = line.split(/\s+/);
      if (words.length === 0) { this.say(`Per-job line “${line}” names a job but no setting.`, true); return; }
      const extras = (jobExtras[job] ??= { env: {}, switches: [] });
      for (const word of words) {
        const eq = word.indexOf("=");
        if (eq > 0 && !word.startsWith("-")) extras.env[word.slice(0, eq)] = word.slice(eq + 1);
        else extras.switches.push(word);
      }
    }
    const body = {
      job_extras: jobExtras,
      mode: data.get("mode"), jobs: lines("jobs"), force: data.has("force"), force_downstream: data.has("force_downstream"),
      queue: data.has("queue"), extras: { env, switches: String(data.get("switches") || "").split(/\s+/).filter(Boolean) },
    };
    // The browser's local time, sent as an instant.
    if (data.get("start_at")) body.start_at = new Date(String(data.get("start_at"))).toISOString();
    if (String(data.get("repeat_every") || "").trim()) body.repeat_every = String(data.get("repeat_every")).trim();
    try {
      const run = await this.api("/runs", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      // The run's events may have overtaken this answer: keep what they said.
      if (!this.runList.has(run.id)) this.runList.set(run.id, run);
      this.renderRuns();
      this.say(`Run #${run.id} ${run.status}${run.start_at ? `, scheduled for ${time(run.start_at)}` : ""}${run.repeat_every ? `, every ${run.repeat_every}` : ""}.`);
    } catch (err) { this.say(err.message, true); }
  }

  async setStatus(form, submitter) {
    const data = new FormData(form);
    const names = String(data.get("names") || "").split("\n").map((l) => l.trim()).filter(Boolean);
    const filter = {};
    if (String(data.get("section") || "").trim()) filter.section = String(data.get("section")).trim();
    if (String(data.get("from") || "").trim()) filter.status = String(data.get("from")).trim();
    const body = { status: data.get("status"), job_names: names, dry_run: submitter?.dataset.dry === "true" };
    if (Object.keys(filter).length) body.filter = filter;
    const box = form.querySelector(".status-message");
    try {
      const out = await this.api("/jobs/status", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const list = (jobs) => (jobs.length > 8 ? `${jobs.slice(0, 8).join(", ")} and ${jobs.length - 8} more` : jobs.join(", "));
      const lines = [`${out.dry_run ? "Would set" : "Set"} ${out.changed.length} job(s) to ${out.status}${out.changed.length ? `: ${list(out.changed)}` : ""}.`];
      if (out.now_ready.length) lines.push(`Ready to run${out.dry_run ? " then" : ""}: ${list(out.now_ready)}.`);
      if (out.now_waiting.length) lines.push(`Back to waiting: ${list(out.now_waiting)}.`);
      box.className = "status-message ok";
      box.textContent = lines.join(" ");
    } catch (err) {
      box.className = "status-message error";
      box.textContent = err.message;
    }
  }

  async stop() {
    try {
      const out = await this.api("?action=stop", { method: "POST" });
      const parts = [];
      if (out.stopped_run) parts.push(`run #${out.stopped_run} stopped`);
      if (out.cancelled_queued.length) parts.push(`${out.cancelled_queued.length} queued run(s) cancelled`);
      const text = parts.join(", ");
      this.say(text ? `${text[0].toUpperCase()}${text.slice(1)}.` : "Nothing was running.");
    } catch (err) { this.say(err.message, true); }
  }
}

customElements.define("hc-runs", HindcastRuns);
