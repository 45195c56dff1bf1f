// <hc-graph expid="a000">: the job graph drawn on a canvas, laid out by the server
// (GET /v4/experiments/{expid}/graph, computed once per graph version) and coloured by the
// statuses (…/graph/statuses, then live from the experiment's events). Pan by dragging or with the arrow keys, zoom with the
// wheel or +/-, search by name, click a job for its detail, click a group's title bar to
// collapse it into one box. Everything lives in a shadow root, so the server-rendered light
// DOM that Leptos hydrates is never touched.

import { follow } from "/live.js";

const STATUS = {
  "-3": "SUSPENDED", "-2": "UNKNOWN", "-1": "FAILED", 0: "WAITING", 1: "READY", 2: "SUBMITTED",
  3: "QUEUING", 4: "RUNNING", 5: "COMPLETED", 6: "HELD", 7: "PREPARED", 8: "SKIPPED", 9: "DELAYED",
};
const CODES = Object.keys(STATUS).map(Number);
const WHITE_TEXT_ON = new Set([-1]); // FAILED's red needs white text
const CODE_OF = Object.fromEntries(Object.entries(STATUS).map(([code, name]) => [name, Number(code)]));
const TITLE_BAR = 22; // world pixels at the top of a group box that toggle it
const GRID = 512; // world pixels per hit-test bucket

const TEMPLATE = `
<style>
  :host { display: flex; flex-direction: column; min-height: 420px; border: 1px solid var(--border); border-radius: 8px; background: var(--surface); overflow: hidden; }
  .bar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; padding: 8px; border-bottom: 1px solid var(--border); background: var(--surface-2); }
  .bar input { font: inherit; padding: 4px 8px; border: 1px solid var(--border); border-radius: 6px; background: var(--surface); color: var(--text); min-width: 14em; }
  button { font: inherit; padding: 4px 10px; border: 1px solid var(--border); border-radius: 6px; background: var(--surface); color: var(--text); cursor: pointer; }
  button:hover { border-color: var(--accent); }
  :focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
  .info { color: var(--text-muted); font-size: 0.9em; margin-left: auto; }
  .body { position: relative; flex: 1; display: flex; min-height: 0; }
  .stage { position: relative; flex: 1; min-width: 0; }
  canvas { position: absolute; inset: 0; width: 100%; height: 100%; display: block; cursor: grab; touch-action: none; }
  canvas.dragging { cursor: grabbing; }
  aside { width: 300px; max-width: 45%; overflow: auto; border-left: 1px solid var(--border); padding: 10px 12px; font-size: 0.9em; }
  aside[hidden] { display: none; }
  aside h3 { margin: 0 0 6px; font-size: 1em; word-break: break-all; }
  aside dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; margin: 0 0 8px; }
  aside dt { color: var(--text-muted); }
  aside dd { margin: 0; word-break: break-all; }
  aside ul { list-style: none; padding: 0; margin: 0 0 8px; }
  aside details dl { font-size: 0.85em; }
  aside details summary { cursor: pointer; color: var(--accent); }
  aside li button { border: none; background: none; padding: 1px 0; color: var(--accent); text-align: left; word-break: break-all; }
  aside .condition { display: block; color: var(--text-muted); }
  .chip { display: inline-block; padding: 0 6px; border-radius: 4px; color: #111; }
  .message { padding: 24px; color: var(--text-muted); }
</style>
<div class="bar" role="toolbar" aria-label="Graph">
  <input type="search" placeholder="Find a job (name contains…)" aria-label="Find a job">
  <button data-act="zoom-in" title="Zoom in (+)" aria-label="Zoom in">+</button>
  <button data-act="zoom-out" title="Zoom out (-)" aria-label="Zoom out">−</button>
  <button data-act="fit" title="Fit (0)">Fit</button>
  <button data-act="collapse">Collapse groups</button>
  <button data-act="expand">Expand groups</button>
  <span class="info" aria-live="polite"></span>
</div>
<div class="body">
  <div class="stage"><canvas tabindex="0" aria-label="Job graph; arrow keys pan, plus and minus zoom, click a job for its detail"></canvas></div>
  <aside hidden aria-live="polite"></aside>
</div>`;

class HindcastGraph extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: "open" });
    root.innerHTML = TEMPLATE;
    this.canvas = root.querySelector("canvas");
    this.info = root.querySelector(".info");
    this.panel = root.querySelector("aside");
    this.search = root.querySelector("input");
    this.view = { x: 0, y: 0, scale: 1 };
    this.collapsed = new Set();
    this.selected = -1;
    this.found = [];
    this.foundAt = -1;
    this.bindEvents();
    this.resizer = new ResizeObserver(() => this.resize());
    this.resizer.observe(this.canvas);
    this.load();
  }

  disconnectedCallback() {
    this.resizer?.disconnect();
    this.unfollow?.();
    this.gone = true;
  }

  get base() {
    return `/v4/experiments/${encodeURIComponent(this.getAttribute("expid"))}`;
  }

  // An embedded graph's signed read-only link, carried on every request it makes.
  get grant() {
    const embed = this.getAttribute("embed");
    return embed ? `?embed=${encodeURIComponent(embed)}` : "";
  }

  async load() {
    const started = performance.now();
    try {
      const [layout, statuses] = await Promise.all([fetchJson(`${this.base}/graph${this.grant}`), fetchJson(`${this.base}/graph/statuses${this.grant}`)]);
      this.layout = layout;
      this.index();
      this.applyStatuses(statuses);
      this.colours();
      this.resize();
      this.fit();
      this.setAttribute("data-jobs", String(layout.names.length));
      this.setAttribute("data-state", "ready");
      this.info.textContent = `${layout.names.length.toLocaleString()} jobs · ${(layout.edges.length / 2).toLocaleString()} edges`;
      this.dispatchEvent(new CustomEvent("graph-ready", { detail: { ms: performance.now() - started } }));
      const wanted = this.getAttribute("select");
      const job = wanted ? layout.names.indexOf(wanted) : -1;
      if (job >= 0) this.select(job, true);
      this.followLive();
    } catch (error) {
      this.setAttribute("data-state", "error");
      this.shadowRoot.querySelector(".body").innerHTML = `<p class="message"></p>`;
      this.shadowRoot.querySelector(".message").textContent = `The graph could not be loaded: ${error.message}`;
    }
  }

  // Statuses change in place as the experiment's events arrive; a new graph reloads.
  followLive() {
    // An embedded graph's link does not open the live events (they say more than the graph).
    if (this.unfollow || this.grant) return;
    const reloadStatuses = async () => {
      try {
        const statuses = await fetchJson(`${this.base}/graph/statuses${this.grant}`);
        if (statuses.graph_version !== this.layout.graph_version) return this.load();
        this.applyStatuses(statuses);
        this.redraw();
      } catch (_) { /* the next event tries again */ }
    };
    this.unfollow = follow(this.getAttribute("expid"), {
      jobs: ({ jobs }) => {
        for (const { name, status } of jobs) {
          const index = this.byName.get(name);
          if (index !== undefined) this.statuses[index] = CODE_OF[status] ?? -2;
        }
        if (this.selected >= 0) this.showDetail(this.selected, false);
        this.redraw();
      },
      graph: () => this.load(),
      reset: reloadStatuses,
    }, this.grant);
  }

  // One draw per animation frame, however many events arrive.
  redraw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  // Adjacency in both directions and a grid of node buckets for hit tests.
  index() {
    const { names, edges, x, y } = this.layout;
    const n = names.length;
    const build = (from, to) => {
      const offsets = new Uint32Array(n + 1);
      for (let i = from; i < edges.length; i += 2) offsets[edges[i] + 1]++;
      for (let i = 0; i < n; i++) offsets[i + 1] += offsets[i];
      const fill = offsets.slice(0, n);
      const list = new Uint32Array(edges.length / 2);
      for (let i = 0; i < edges.length; i += 2) list[fill[edges[i + from]]++] = edges[i + to];
      return { offsets, list };
    };
    this.childLinks = build(0, 1);
    this.parentLinks = build(1, 0);
    // Edges whose dependency names a STATUS (the child may start before the parent completes).
    this.conditions = new Map((this.layout.conditions ?? []).map(([p, c, status]) => [edgeKey(p, c), status]));
    this.buckets = new Map();
    for (let i = 0; i < n; i++) {
      const key = bucketKey(Math.floor(x[i] / GRID), Math.floor(y[i] / GRID));
      let bucket = this.buckets.get(key);
      if (!bucket) this.buckets.set(key, (bucket = []));
      bucket.push(i);
    }
    this.namePrefix = `${this.getAttribute("expid")}_`;
    this.byName = new Map(names.map((name, i) => [name, i]));
  }

  applyStatuses({ statuses }) {
    this.statuses = Int8Array.from(statuses);
    if (this.selected >= 0) this.showDetail(this.selected, false);
  }

  colours() {
    const style = getComputedStyle(document.documentElement);
    const read = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
    this.palette = {};
    for (const code of CODES) this.palette[code] = read(`--status-${STATUS[code].toLowerCase()}`, "#ccc");
    // The same colours as 32-bit pixels (the canvas converts any CSS colour for us).
    const scratch = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
    this.packed = {};
    for (const code of CODES) {
      scratch.clearRect(0, 0, 1, 1);
      scratch.fillStyle = this.palette[code];
      scratch.fillRect(0, 0, 1, 1);
      this.packed[code] = new Uint32Array(scratch.getImageData(0, 0, 1, 1).data.buffer)[0];
    }
    this.ink = { text: read("--text", "#111"), muted: read("--text-muted", "#666"), border: read("--border", "#ccc"),
      accent: read("--accent", "#06c"), surface: read("--surface-2", "#eee") };
  }

  resize() {
    const ratio = window.devicePixelRatio || 1;
    const { width, height } = this.canvas.getBoundingClientRect();
    this.canvas.width = Math.max(1, Math.round(width * ratio));
    this.canvas.height = Math.max(1, Math.round(height * ratio));
    this.ratio = ratio;
    this.draw();
  }

  fit() {
    if (!this.layout) return;
    const { width, height } = this.canvas.getBoundingClientRect();
    const scale = Math.min(width / (this.layout.width + 40), height / (this.layout.height + 40), 1.5);
    this.view = { scale, x: (width - this.layout.width * scale) / 2, y: 20 * scale };
    this.draw();
  }

  zoom(factor, cx, cy) {
    const { width, height } = this.canvas.getBoundingClientRect();
    cx ??= width / 2;
    cy ??= height / 2;
    const scale = Math.min(4, Math.max(0.002, this.view.scale * factor));
    const f = scale / this.view.scale;
    this.view = { scale, x: cx - (cx - this.view.x) * f, y: cy - (cy - this.view.y) * f };
    this.draw();
  }

  centreOn(job) {
    const { width, height } = this.canvas.getBoundingClientRect();
    const scale = Math.max(this.view.scale, 0.6);
    this.view = { scale, x: width / 2 - this.layout.x[job] * scale, y: height / 2 - this.layout.y[job] * scale };
    this.draw();
  }

  // The collapsed group a job is hidden in, or -1.
  hiddenIn(job) {
    const group = this.layout.group[job];
    return this.collapsed.has(group) ? group : -1;
  }

  draw() {
    if (!this.layout || !this.statuses) return;
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.paint());
  }

  paint() {
    const ctx = this.canvas.getContext("2d");
    const { x: vx, y: vy, scale } = this.view;
    const { x, y, names, groups, edges, node_width: nw, node_height: nh } = this.layout;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(scale * this.ratio, 0, 0, scale * this.ratio, vx * this.ratio, vy * this.ratio);
    const left = -vx / scale, top = -vy / scale;
    const right = left + this.canvas.width / this.ratio / scale, bottom = top + this.canvas.height / this.ratio / scale;
    const visible = (px, py, margin) => px > left - margin && px < right + margin && py > top - margin && py < bottom + margin;
    const px = 1 / scale; // one screen pixel in world units

    // Nodes, batched by status colour; labels once they can be read.
    const byStatus = new Map();
    for (let i = 0; i < names.length; i++) {
      if (!visible(x[i], y[i], nw) || this.hiddenIn(i) >= 0) continue;
      const code = this.statuses[i] ?? -2;
      let list = byStatus.get(code);
      if (!list) byStatus.set(code, (list = []));
      list.push(i);
    }
    // Zoomed far out, nodes are a few pixels: written straight into the pixel buffer, which
    // is ten times faster than 100k fillRect calls. Boxes and edges are drawn over them.
    const tiny = nw * scale < 3;
    if (tiny) this.paintPixels(byStatus);

    // Group boxes, collapsed ones filled.
    ctx.lineWidth = px;
    ctx.font = `600 ${Math.max(12, 11 * px)}px system-ui, sans-serif`;
    groups.forEach((g, i) => {
      if (g.x > right || g.x + g.width < left || g.y > bottom || g.y + g.height < top) return;
      ctx.strokeStyle = this.ink.border;
      ctx.fillStyle = this.ink.surface;
      if (this.collapsed.has(i)) {
        ctx.fillRect(g.x, g.y, g.width, g.height);
        ctx.strokeRect(g.x, g.y, g.width, g.height);
      } else {
        if (!tiny) ctx.fillRect(g.x, g.y, g.width, TITLE_BAR);
        ctx.strokeRect(g.x, g.y, g.width, g.height);
      }
      if (g.width * scale > 40) {
        ctx.fillStyle = this.ink.muted;
        const mark = this.collapsed.has(i) ? "▸" : "▾";
        ctx.fillText(`${mark} ${g.label} (${g.jobs})`, g.x + 6, g.y + 16, g.width - 12);
      }
    });

    // Edges, once they are long enough on screen to follow; hidden ends meet their group box.
    const endpoint = (job) => {
      const group = this.hiddenIn(job);
      if (group < 0) return [x[job], y[job]];
      const g = groups[group];
      return [g.x + g.width / 2, g.y + g.height / 2];
    };
    if (scale > 0.04) {
      ctx.strokeStyle = this.ink.muted;
      ctx.globalAlpha = scale > 0.3 ? 0.7 : 0.35;
      const dashed = [];
      ctx.beginPath();
      for (let i = 0; i < edges.length; i += 2) {
        const p = edges[i], c = edges[i + 1];
        const [x1, y1] = endpoint(p), [x2, y2] = endpoint(c);
        if ((x1 < left && x2 < left) || (x1 > right && x2 > right) || (y1 < top && y2 < top) || (y1 > bottom && y2 > bottom)) continue;
        if (x1 === x2 && y1 === y2) continue;
        if (this.conditions.size > 0 && this.conditions.has(edgeKey(p, c))) {
          dashed.push(x1, y1, x2, y2);
          continue;
        }
        ctx.moveTo(x1, y1 + nh / 2);
        ctx.lineTo(x2, y2 - nh / 2);
      }
      ctx.stroke();
      if (dashed.length > 0) {
        ctx.setLineDash([4 * px, 3 * px]);
        ctx.beginPath();
        for (let i = 0; i < dashed.length; i += 4) {
          ctx.moveTo(dashed[i], dashed[i + 1] + nh / 2);
          ctx.lineTo(dashed[i + 2], dashed[i + 3] - nh / 2);
        }
        ctx.stroke();
        ctx.setLineDash([]);
      }
      ctx.globalAlpha = 1;
    }

    if (!tiny) {
      for (const [code, list] of byStatus) {
        ctx.fillStyle = this.palette[code] ?? "#ccc";
        for (const i of list) ctx.fillRect(x[i] - nw / 2, y[i] - nh / 2, nw, nh);
      }
      ctx.strokeStyle = "rgba(0,0,0,0.35)";
      ctx.lineWidth = px;
      for (const list of byStatus.values()) for (const i of list) ctx.strokeRect(x[i] - nw / 2, y[i] - nh / 2, nw, nh);
    }
    if (nh * scale >= 9) {
      ctx.font = "11px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      for (const [code, list] of byStatus) {
        ctx.fillStyle = WHITE_TEXT_ON.has(code) ? "#fff" : "#111";
        for (const i of list) ctx.fillText(this.label(i), x[i], y[i], nw - 8);
      }
      ctx.textAlign = "start";
      ctx.textBaseline = "alphabetic";
    }
    // Search matches and the selection, outlined so they stand out at any zoom.
    ctx.lineWidth = 3 * px;
    ctx.strokeStyle = this.ink.accent;
    for (const i of this.found) {
      if (visible(x[i], y[i], nw) && this.hiddenIn(i) < 0) ctx.strokeRect(x[i] - nw / 2 - 2 * px, y[i] - nh / 2 - 2 * px, nw + 4 * px, nh + 4 * px);
    }
    if (this.selected >= 0 && this.hiddenIn(this.selected) < 0) {
      const i = this.selected;
      ctx.lineWidth = 4 * px;
      ctx.strokeStyle = this.ink.text;
      ctx.strokeRect(x[i] - nw / 2 - 4 * px, y[i] - nh / 2 - 4 * px, nw + 8 * px, nh + 8 * px);
    }
  }

  paintPixels(byStatus) {
    const ctx = this.canvas.getContext("2d");
    const { width, height } = this.canvas;
    const image = ctx.createImageData(width, height);
    const pixels = new Uint32Array(image.data.buffer);
    const { x, y, node_width: nw, node_height: nh } = this.layout;
    const k = this.view.scale * this.ratio;
    const w = Math.max(2, Math.round(nw * k)), h = Math.max(1, Math.round(nh * k));
    const ox = this.view.x * this.ratio, oy = this.view.y * this.ratio;
    for (const [code, list] of byStatus) {
      const colour = this.packed[code] ?? this.packed[-2];
      for (const i of list) {
        const left = Math.round(ox + x[i] * k - w / 2), top = Math.round(oy + y[i] * k - h / 2);
        for (let row = Math.max(0, top); row < Math.min(height, top + h); row++) {
          const start = row * width;
          for (let col = Math.max(0, left); col < Math.min(width, left + w); col++) pixels[start + col] = colour;
        }
      }
    }
    ctx.putImageData(image, 0, 0);
  }

  label(job) {
    const name = this.layout.names[job];
    return name.startsWith(this.namePrefix) ? name.slice(this.namePrefix.length) : name;
  }

  // What is under a screen point: a job, a group's title bar or a collapsed group.
  hit(sx, sy) {
    const wx = (sx - this.view.x) / this.view.scale, wy = (sy - this.view.y) / this.view.scale;
    const { x, y, node_width: nw, node_height: nh, groups } = this.layout;
    const slack = Math.max(0, 4 / this.view.scale - nh / 2);
    const bx = Math.floor(wx / GRID), by = Math.floor(wy / GRID);
    for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) {
      for (const i of this.buckets.get(bucketKey(bx + dx, by + dy)) ?? []) {
        if (this.hiddenIn(i) < 0 && Math.abs(wx - x[i]) <= nw / 2 + slack && Math.abs(wy - y[i]) <= nh / 2 + slack) return { job: i };
      }
    }
    for (let g = 0; g < groups.length; g++) {
      const box = groups[g];
      const bar = this.collapsed.has(g) ? box.height : TITLE_BAR;
      if (wx >= box.x && wx <= box.x + box.width && wy >= box.y && wy <= box.y + bar) return { group: g };
    }
    return {};
  }

  bindEvents() {
    const c = this.canvas;
    let drag = null;
    c.addEventListener("pointerdown", (e) => {
      drag = { x: e.clientX, y: e.clientY, vx: this.view.x, vy: this.view.y, moved: false };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (drag.moved) {
        c.classList.add("dragging");
        this.view.x = drag.vx + dx;
        this.view.y = drag.vy + dy;
        this.draw();
      }
    });
    c.addEventListener("pointerup", (e) => {
      c.classList.remove("dragging");
      const wasDrag = drag?.moved;
      drag = null;
      if (wasDrag || !this.layout) return;
      const rect = c.getBoundingClientRect();
      const what = this.hit(e.clientX - rect.left, e.clientY - rect.top);
      if (what.job !== undefined) this.select(what.job, false);
      else if (what.group !== undefined) this.toggle(what.group);
    });
    c.addEventListener("wheel", (e) => {
      e.preventDefault();
      const rect = c.getBoundingClientRect();
      this.zoom(Math.exp(-e.deltaY * 0.0015), e.clientX - rect.left, e.clientY - rect.top);
    }, { passive: false });
    c.addEventListener("keydown", (e) => {
      const step = 60;
      const moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
      if (moves[e.key]) {
        this.view.x += moves[e.key][0];
        this.view.y += moves[e.key][1];
        this.draw();
      } else if (e.key === "+" || e.key === "=") this.zoom(1.25);
      else if (e.key === "-") this.zoom(0.8);
      else if (e.key === "0") this.fit();
      else if (e.key === "/") this.search.focus();
      else return;
      e.preventDefault();
    });
    this.shadowRoot.querySelector(".bar").addEventListener("click", (e) => {
      const act = e.target.closest("button")?.dataset.act;
      if (act === "zoom-in") this.zoom(1.25);
      else if (act === "zoom-out") this.zoom(0.8);
      else if (act === "fit") this.fit();
      else if (act === "collapse") { this.layout.groups.forEach((_, g) => this.collapsed.add(g)); this.draw(); }
      else if (act === "expand") { this.collapsed.clear(); this.draw(); }
    });
    this.search.addEventListener("keydown", (e) => {
      if (e.key !== "Enter" || !this.layout) return;
      e.preventDefault();
      this.find(this.search.value.trim());
    });
    this.panel.addEventListener("click", (e) => {
      const job = e.target.closest("button[data-job]")?.dataset.job;
      if (job !== undefined) this.select(Number(job), true);
    });
  }

  // Enter finds every job whose name contains the text and moves to the next one each time.
  find(text) {
    if (!text) {
      this.found = [];
      this.info.textContent = "";
      this.draw();
      return;
    }
    if (text !== this.lastSearch) {
      const needle = text.toLowerCase();
      this.found = [];
      this.layout.names.forEach((name, i) => { if (name.toLowerCase().includes(needle)) this.found.push(i); });
      this.foundAt = -1;
      this.lastSearch = text;
    }
    if (this.found.length === 0) {
      this.info.textContent = `No job matches “${text}”`;
      this.draw();
      return;
    }
    this.foundAt = (this.foundAt + 1) % this.found.length;
    this.info.textContent = `${this.foundAt + 1} of ${this.found.length.toLocaleString()} matches · Enter for the next`;
    this.select(this.found[this.foundAt], true);
  }

  toggle(group) {
    if (this.collapsed.has(group)) this.collapsed.delete(group);
    else this.collapsed.add(group);
    this.draw();
  }

  select(job, centre) {
    this.selected = job;
    this.collapsed.delete(this.layout.group[job]);
    if (centre) this.centreOn(job);
    else this.draw();
    this.showDetail(job, true);
  }

  // The detail panel: what the layout knows at once, then the job's record from the API.
  showDetail(job, fetchRecord) {
    const { names, sections, section, groups, group } = this.layout;
    const name = names[job];
    const status = STATUS[this.statuses[job]] ?? "UNKNOWN";
    const links = (adj) => Array.from(adj.list.subarray(adj.offsets[job], adj.offsets[job + 1]));
    // A condition reads from the child's side: it may start once the parent reaches it.
    const condition = (p, c) => {
      const status = this.conditions.get(edgeKey(p, c));
      return status ? ` <small class="condition">child starts once parent is ${escapeHtml(status)}</small>` : "";
    };
    const list = (jobs, parents) => jobs.length === 0 ? "<p>None</p>" :
      `<ul>${jobs.map((j) => `<li><button type="button" data-job="${j}">${escapeHtml(names[j])}</button> ${escapeHtml(STATUS[this.statuses[j]] ?? "")}${parents ? condition(j, job) : condition(job, j)}</li>`).join("")}</ul>`;
    const expid = encodeURIComponent(this.getAttribute("expid"));
    const jobsLink = this.grant
      ? `/embed/experiments/${expid}/jobs${this.grant}&job_name=${encodeURIComponent(name)}`
      : `/experiments/${expid}/jobs?job_name=${encodeURIComponent(name)}`;
    this.panel.hidden = false;
    this.panel.innerHTML = `
      <h3>${escapeHtml(name)}</h3>
      <dl>
        <dt>Status</dt><dd><span class="chip" style="background:${this.palette[this.statuses[job]] ?? "#ccc"}">${status}</span></dd>
        <dt>Section</dt><dd>${escapeHtml(sections[section[job]])}</dd>
        <dt>Group</dt><dd>${escapeHtml(groups[group[job]].label)}</dd>
        <dt>Platform</dt><dd class="platform">…</dd>
        <dt>Times</dt><dd class="times">…</dd>
      </dl>
      <p><a href="${jobsLink}" style="color:var(--accent)">Open in the job table</a></p>
      <h4>Parents</h4>${list(links(this.parentLinks), true)}
      <h4>Children</h4>${list(links(this.childLinks), false)}
      <details class="parameters"><summary>Parameters (%NAME% placeholders)</summary><dl></dl></details>`;
    if (!fetchRecord) return;
    fetchJson(`${this.base}/jobs/${encodeURIComponent(name)}`).then((record) => {
      if (this.selected !== job) return;
      this.panel.querySelector(".platform").textContent = `${record.platform} · ${record.processors} processors · ${record.wallclock ?? "no wallclock"}`;
      this.panel.querySelector(".times").textContent = [record.submit && `submitted ${record.submit}`, record.start && `started ${record.start}`, record.finish && `finished ${record.finish}`].filter(Boolean).join(", ") || "not run yet";
    }).catch(() => {});
    fetchJson(`${this.base}/jobs/${encodeURIComponent(name)}/parameters`).then(({ parameters }) => {
      if (this.selected !== job) return;
      const list = this.panel.querySelector(".parameters dl");
      for (const [key, value] of Object.entries(parameters)) {
        const term = document.createElement("dt");
        const text = document.createElement("dd");
        term.textContent = key;
        text.textContent = value;
        list.append(term, text);
      }
    }).catch(() => {});
  }
}

function bucketKey(bx, by) {
  return bx * 1000003 + by;
}

// One number per edge (job numbers stay far below 2^21, so the product is exact).
function edgeKey(parent, child) {
  return parent * 4294967296 + child;
}

async function fetchJson(url) {
  // No extra headers: the page preloads these URLs and a plain request reuses the preload.
  const response = await fetch(url);
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.error_message || `HTTP ${response.status}`);
  }
  return response.json();
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

if (!customElements.get("hc-graph")) customElements.define("hc-graph", HindcastGraph);
