// simkiosk operator page: plain JS, no build step. Every value from the server is put into
// the page with textContent (never innerHTML), and every POST carries the CSRF token.
"use strict";

const state = { csrf: null, kiosks: [] };
const COLORS = ["#1d3557", "#e63946", "#2a9d8f", "#f4a261", "#6a4c93", "#457b9d", "#8ab17d", "#b5838d"];
const SVG_NS = "http://www.w3.org/2000/svg";

function $(id) { return document.getElementById(id); }

function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return "";
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (options.method && options.method !== "GET") {
    headers["X-CSRF-Token"] = state.csrf || cookie("kb_csrf");
    if (options.body) headers["Content-Type"] = "application/json";
  }
  const resp = await fetch(path, Object.assign({}, options, { headers, credentials: "same-origin" }));
  let data = null;
  try { data = await resp.json(); } catch (e) { data = null; }
  if (!resp.ok) {
    const err = new Error((data && data.message) || ("HTTP " + resp.status));
    err.status = resp.status;
    err.code = data && data.error;
    throw err;
  }
  return data;
}

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function money(cents, currency) {
  if (cents === null || cents === undefined) return "";
  return (cents / 100).toFixed(2) + (currency ? " " + currency : "");
}

function show(loggedIn, name) {
  $("login").hidden = loggedIn;
  $("app").hidden = !loggedIn;
  $("logout").hidden = !loggedIn;
  $("who").textContent = loggedIn ? name : "";
}

function providerProblem(p) {
  if (!p) return "";
  if (p.ok === false) return "Aggregator check failed: " + ((p.health && p.health.detail) || "unknown error");
  if (p.low_balance) {
    return "Aggregator balance low: " + money(p.health.balance_cents, p.health.currency) +
      " (warning under " + money(p.low_balance_cents, p.health.currency) + ")";
  }
  if (p.catalog && p.catalog.error) return "Catalog refresh failed: " + p.catalog.error;
  return "";
}

function showProvider(p) {
  const problem = providerProblem(p);
  $("provider-alert").textContent = problem;
  $("provider-alert").hidden = !problem;
  const h = p.health;
  $("pv-name").textContent = p.provider + " (" + p.environment + ")";
  const st = $("pv-status");
  st.textContent = !h ? "not checked yet" : (h.ok ? "reachable, authenticated" :
    (h.reachable ? "credentials refused: " : "unreachable: ") + h.detail);
  st.className = !h ? "" : (h.ok ? "ok" : "bad");
  const bal = $("pv-balance");
  bal.textContent = h && h.balance_cents !== null ? money(h.balance_cents, h.currency) : "unknown";
  bal.className = p.low_balance ? "bad" : "";
  $("pv-threshold").textContent = money(p.low_balance_cents, h && h.currency);
  $("pv-checked").textContent = h ? h.checked_at : "";
  const c = p.catalog || {};
  const last = c.last ? c.last.plans + " plans, version " + c.last.version : "";
  $("pv-catalog").textContent = c.error ? "refresh failed: " + c.error : (c.refreshed_at ? "refreshed " +
    c.refreshed_at + (last ? " (" + last + ")" : "") : "not refreshed yet");
  $("pv-catalog").className = c.error ? "bad" : "";
}

function lines(text) {
  return text.split("\n").map((l) => l.trim()).filter((l) => l);
}

async function loadPlans() {
  const data = await api("/api/plans");
  state.plans = data.plans;
  $("plans-version").textContent = "Catalog version " + (data.version || "none yet") + " — " +
    data.plans.filter((p) => !p.withdrawn_at).length + " plans on sale";
  const body = $("plans").querySelector("tbody");
  body.replaceChildren();
  for (const p of data.plans) {
    const tr = document.createElement("tr");
    tr.dataset.plan = p.plan_id;
    cell(tr, p.plan_id);
    cell(tr, p.carrier);
    cell(tr, p.name);
    cell(tr, money(p.price_cents, p.currency), "num");
    cell(tr, p.validity_days || "", "num");
    cell(tr, p.withdrawn_at ? "withdrawn " + p.withdrawn_at : "on sale", p.withdrawn_at ? "warn" : "ok");
    for (const lang of data.langs) {
      const t = p.i18n[lang];
      cell(tr, t ? t.name + (t.benefits.length ? " · " + t.benefits.join(", ") : "") : "— (English shown)",
        t ? "" : "muted");
    }
    const td = document.createElement("td");
    const btn = document.createElement("button");
    btn.type = "button";
    btn.textContent = "Translate";
    btn.addEventListener("click", () => editPlan(p));
    td.appendChild(btn);
    tr.appendChild(td);
    body.appendChild(tr);
  }
}

function editPlan(p) {
  state.editing = p.plan_id;
  $("i18n-title").textContent = "Translations for " + p.plan_id + " (" + p.carrier + ")";
  $("i18n-english").textContent = "English: " + p.name + (p.benefits.length ? " · " + p.benefits.join(", ") : "");
  for (const lang of ["zh_CN", "es"]) {
    const t = p.i18n[lang] || { name: "", benefits: [] };
    $("i18n-" + lang + "-name").value = t.name || "";
    $("i18n-" + lang + "-benefits").value = (t.benefits || []).join("\n");
  }
  $("i18n-error").textContent = "";
  $("i18n-form").hidden = false;
  $("i18n-zh_CN-name").focus();
}

async function saveTranslations(ev) {
  ev.preventDefault();
  $("i18n-error").textContent = "";
  try {
    for (const lang of ["zh_CN", "es"]) {
      await api("/api/plans/" + encodeURIComponent(state.editing) + "/i18n/" + lang, {
        method: "POST", body: JSON.stringify({
          name: $("i18n-" + lang + "-name").value.trim(), benefits: lines($("i18n-" + lang + "-benefits").value),
        }),
      });
    }
    $("i18n-form").hidden = true;
    await loadPlans();
  } catch (err) {
    $("i18n-error").textContent = err.message;
  }
}

async function loadPending() {
  const data = await api("/api/topups/pending");
  const body = $("pending").querySelector("tbody");
  body.replaceChildren();
  for (const t of data.pending) {
    const tr = document.createElement("tr");
    tr.dataset.key = t.key;
    cell(tr, t.created_at);
    cell(tr, t.kiosk_id);
    cell(tr, t.key);
    cell(tr, t.msisdn);
    cell(tr, t.plan_id);
    cell(tr, money(t.amount_cents, t.currency), "num");
    cell(tr, t.message);
    const td = document.createElement("td");
    const btn = document.createElement("button");
    btn.type = "button";
    btn.textContent = "Settle as failed…";
    btn.addEventListener("click", () => {
      state.settling = t.key;
      $("settle-title").textContent = "Settle " + t.key + " (" + t.kiosk_id + ") as failed";
      $("settle-reason").value = "";
      $("settle-error").textContent = "";
      $("settle-form").hidden = false;
      $("settle-reason").focus();
    });
    td.appendChild(btn);
    tr.appendChild(td);
    body.appendChild(tr);
  }
  if (!data.pending.length) {
    const tr = document.createElement("tr");
    cell(tr, "No top-up is pending.", "muted").colSpan = 8;
    body.appendChild(tr);
  }
  const log = $("settlements").querySelector("tbody");
  log.replaceChildren();
  for (const s of data.settlements) {
    const tr = document.createElement("tr");
    cell(tr, s.at);
    cell(tr, s.operator);
    cell(tr, s.key);
    cell(tr, s.kiosk_id);
    cell(tr, s.to_status + (s.failure_kind ? "/" + s.failure_kind : ""));
    cell(tr, s.reason);
    cell(tr, s.aggregator + ": " + s.aggregator_answer);
    log.appendChild(tr);
  }
}

async function settle(ev) {
  ev.preventDefault();
  $("settle-error").textContent = "";
  try {
    await api("/api/topups/" + encodeURIComponent(state.settling) + "/settle", {
      method: "POST", body: JSON.stringify({ outcome: "failed", reason: $("settle-reason").value }),
    });
    $("settle-form").hidden = true;
    $("settle-message").textContent = state.settling + " settled as failed; the kiosk reverses the charge";
  } catch (err) {
    $("settle-error").textContent = err.message;
  }
  await loadPending();
}

async function providerAction(path, message) {
  $("pv-message").textContent = "working…";
  try {
    await api(path, { method: "POST" });
    $("pv-message").textContent = message;
  } catch (err) {
    $("pv-message").textContent = err.message;
  }
  showProvider(await api("/api/provider"));
  await loadPlans();
}

async function loadFleet() {
  const data = await api("/api/kiosks");
  state.kiosks = data.kiosks;
  if (data.provider) showProvider(data.provider);
  const body = $("fleet").querySelector("tbody");
  body.replaceChildren();
  const select = $("f-kiosk");
  const chosen = select.value;
  select.replaceChildren(new Option("all", ""));
  for (const k of data.kiosks) {
    const tr = document.createElement("tr");
    tr.dataset.kiosk = k.kiosk_id;
    cell(tr, k.kiosk_id);
    cell(tr, k.location);
    cell(tr, k.last_heartbeat_at || "never");
    cell(tr, k.online ? "online" : "offline", k.online ? "ok" : "bad");
    cell(tr, k.device_faults.length ? k.device_faults.join(", ") : "none", k.device_faults.length ? "bad" : "ok");
    cell(tr, k.unsynced_events, "num");
    cell(tr, k.needs_attention, k.needs_attention ? "num bad" : "num");
    cell(tr, k.incidents, k.incidents ? "num bad" : "num");
    cell(tr, k.end_of_day_mismatches
      ? `${k.end_of_day_mismatches} mismatch(es), last ${k.last_end_of_day_mismatch_at}` : "no mismatch",
      k.end_of_day_mismatches ? "bad" : "ok");
    body.appendChild(tr);
    select.appendChild(new Option(k.kiosk_id, k.kiosk_id));
  }
  select.value = chosen;
}

function filterQuery() {
  const q = new URLSearchParams();
  if ($("f-since").value) q.set("since", $("f-since").value);
  if ($("f-until").value) {
    // the date picker names a day; "until" is exclusive, so ask for the day after it
    const d = new Date($("f-until").value + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + 1);
    q.set("until", d.toISOString().slice(0, 10));
  }
  if ($("f-kiosk").value) q.set("kiosk", $("f-kiosk").value);
  if ($("f-state").value) q.set("state", $("f-state").value);
  return q;
}

async function loadTransactions() {
  const q = filterQuery();
  $("csv-link").href = "/api/transactions.csv" + (q.toString() ? "?" + q : "");
  q.set("limit", "500");
  const data = await api("/api/transactions?" + q);
  const body = $("txns").querySelector("tbody");
  body.replaceChildren();
  for (const t of data.transactions) {
    const tr = document.createElement("tr");
    tr.dataset.txn = t.txn_id;
    cell(tr, t.created_at);
    cell(tr, t.kiosk_id);
    cell(tr, t.txn_id);
    cell(tr, t.state, t.state === "needs_attention" ? "bad" : "");
    cell(tr, t.carrier);
    cell(tr, t.msisdn);
    cell(tr, t.plan_id);
    cell(tr, money(t.amount_cents, t.currency), "num");
    cell(tr, t.terminal_receipt_no);
    cell(tr, t.topup_status);
    body.appendChild(tr);
  }
  $("txn-count").textContent = data.transactions.length + (data.more ? "+ (showing the first 500)" : "") +
    " transactions";
}

function svg(name, attrs, parent, text) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  parent.appendChild(el);
  return el;
}

async function loadChart() {
  const q = new URLSearchParams();
  if ($("f-since").value) q.set("since", $("f-since").value);
  if ($("f-kiosk").value) q.set("kiosk", $("f-kiosk").value);
  const data = await api("/api/sales/daily?" + q);
  const chart = $("sales-chart");
  chart.replaceChildren();
  const legend = $("chart-legend");
  legend.replaceChildren();
  const days = [...new Set(data.days.map((d) => d.day))].sort();
  const kiosks = [...new Set(data.days.map((d) => d.kiosk_id))].sort();
  if (!days.length) {
    svg("text", { x: 20, y: 40, class: "empty" }, chart, "No completed sales in this range");
    return;
  }
  const W = 900, H = 280, left = 60, bottom = 30, top = 10;
  const max = Math.max(...data.days.map((d) => d.amount_cents), 1);
  const groupW = (W - left - 10) / days.length;
  const barW = Math.max(2, Math.min(24, (groupW - 6) / kiosks.length));
  svg("line", { x1: left, y1: H - bottom, x2: W - 5, y2: H - bottom, stroke: "#555" }, chart);
  svg("line", { x1: left, y1: top, x2: left, y2: H - bottom, stroke: "#555" }, chart);
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = H - bottom - ((H - bottom - top) * i) / 4;
    svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", "font-size": 10 }, chart, (v / 100).toFixed(0));
  }
  days.forEach((day, di) => {
    const gx = left + di * groupW + 3;
    if (days.length <= 31 || di % Math.ceil(days.length / 31) === 0) {
      svg("text", { x: gx + groupW / 2 - 3, y: H - bottom + 14, "text-anchor": "middle", "font-size": 9 },
        chart, day.slice(5));
    }
    kiosks.forEach((kiosk, ki) => {
      const rows = data.days.filter((d) => d.day === day && d.kiosk_id === kiosk);
      const cents = rows.reduce((s, r) => s + r.amount_cents, 0);
      if (!cents) return;
      const h = ((H - bottom - top) * cents) / max;
      const bar = svg("rect", {
        x: gx + ki * barW, y: H - bottom - h, width: barW - 1, height: h,
        fill: COLORS[ki % COLORS.length], "data-kiosk": kiosk, "data-day": day, "data-cents": cents,
      }, chart);
      const count = rows.reduce((s, r) => s + r.count, 0);
      svg("title", {}, bar, `${kiosk} ${day}: ${money(cents, rows[0].currency)} (${count} sales)`);
    });
  });
  kiosks.forEach((kiosk, ki) => {
    const item = document.createElement("span");
    const sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = COLORS[ki % COLORS.length];
    item.appendChild(sw);
    item.appendChild(document.createTextNode(kiosk));
    legend.appendChild(item);
  });
}

async function refresh() {
  await loadFleet();
  await Promise.all([loadTransactions(), loadChart(), loadPlans(), loadPending()]);
}

async function start() {
  try {
    const me = await api("/api/me");
    state.csrf = me.csrf;
    show(true, me.operator);
    await refresh();
  } catch (err) {
    if (err.status === 401) show(false); else throw err;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("login-error").textContent = "";
    try {
      const me = await api("/api/login", {
        method: "POST", body: JSON.stringify({ username: $("username").value, password: $("password").value }),
      });
      state.csrf = me.csrf;
      $("password").value = "";
      show(true, me.operator);
      await refresh();
    } catch (err) {
      $("login-error").textContent = err.status === 401 ? "Wrong user name or password" : err.message;
    }
  });
  $("logout").addEventListener("click", async () => {
    await api("/api/logout", { method: "POST" });
    state.csrf = null;
    show(false);
  });
  $("i18n-form").addEventListener("submit", saveTranslations);
  $("settle-form").addEventListener("submit", settle);
  $("settle-cancel").addEventListener("click", () => { $("settle-form").hidden = true; });
  $("i18n-cancel").addEventListener("click", () => { $("i18n-form").hidden = true; });
  $("pv-check").addEventListener("click", () => providerAction("/api/provider/check", "checked"));
  $("pv-refresh").addEventListener("click", () => providerAction("/api/catalog/refresh", "catalog refreshed"));
  $("filters").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    await Promise.all([loadTransactions(), loadChart()]);
  });
  start();
});
