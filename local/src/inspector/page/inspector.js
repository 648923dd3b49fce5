// The inspector page: draws the topology, keeps the requests table live through server-sent
// events, and shows one exchange when its row is clicked. Everything is put on the page with
// textContent (never innerHTML): request data is shown, never interpreted.
"use strict";

const state = { rows: new Map(), selected: null, limits: null };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else if (key === "title") node.title = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function getJson(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

// ---- topology -------------------------------------------------------------------------------

function actionNodes(action) {
  if (action.fixed_status !== null && action.fixed_status !== undefined) {
    return [el("span", { class: "chip chip-fixed" }, `fixed ${action.fixed_status}`)];
  }
  return action.forward.map((w) =>
    el("span", { class: "chip chip-forward", "data-group": w.group },
      "→ ", w.group, el("span", { class: "weight" }, ` ${w.weight} (${round(w.percent)}%)`)));
}

function round(value) {
  return Math.round(value * 10) / 10;
}

function serviceBlock(service, groups) {
  const policy = service.policy
    ? el("ul", { class: "statements" }, service.policy.map((s) => el("li", {}, s)))
    : null;
  const serviceCard = el("div", { class: "card card-service" },
    el("div", { class: "card-title" }, service.name),
    el("div", {},
      el("span", { class: `badge ${service.auth_type === "AWS_IAM" ? "badge-iam" : "badge-none"}` },
        `auth ${service.auth_type}`)),
    policy ? el("div", { class: "dim small" }, "auth policy") : null,
    policy,
    service.urls.map((u) => el("div", { class: "url small" }, u)));

  const used = new Set();
  const listenerCards = service.listeners.map((listener) => {
    const rules = listener.rules.map((rule) => {
      rule.action.forward.forEach((w) => used.add(w.group));
      return el("li", { class: "rule", "data-rule": rule.name },
        el("span", { class: "priority", title: "priority" }, rule.priority),
        el("span", { class: "rule-name" }, rule.name),
        el("div", { class: "matches" },
          rule.matches.length
            ? rule.matches.map((m) => el("span", { class: "chip chip-match" }, m))
            : el("span", { class: "chip chip-match" }, "every request")),
        el("div", { class: "actions" }, actionNodes(rule.action)));
    });
    listener.default_action.forward.forEach((w) => used.add(w.group));
    rules.push(el("li", { class: "rule rule-default", "data-rule": "default" },
      el("span", { class: "priority", title: "default action" }, "∗"),
      el("span", { class: "rule-name" }, "default"),
      el("div", { class: "actions" }, actionNodes(listener.default_action))));
    return el("div", { class: "card card-listener", "data-listener": listener.name },
      el("div", { class: "card-title" }, `${listener.protocol} :${listener.port}`,
        el("span", { class: "dim small" }, ` ${listener.name}`)),
      el("ol", { class: "rules" }, rules));
  });
  if (!listenerCards.length) {
    listenerCards.push(el("div", { class: "card card-listener" }, el("div", { class: "dim" }, "no listener")));
  }

  const groupCards = groups.filter((g) => used.has(g.id)).map((g) =>
    el("div", { class: "card card-group", "data-group": g.id },
      el("div", { class: "card-title" }, g.id),
      el("div", {},
        el("span", { class: "badge" }, g.kind),
        g.event_version ? el("span", { class: "badge badge-version" }, `event ${g.event_version}`) : null),
      el("ul", { class: "targets" }, g.targets.map((t) =>
        el("li", {},
          el("span", { class: `health health-${t.health}`, title: `health: ${t.health}` }, t.health.replace("-", " ")),
          el("span", { class: "target-name" }, t.name),
          el("div", { class: "dim small" }, t.served_by))))));

  return el("div", { class: "service-row service", "data-service": service.name },
    serviceCard,
    el("div", { class: "arrow" }, "→"),
    el("div", { class: "listeners" }, listenerCards),
    el("div", { class: "arrow" }, groupCards.length ? "→" : ""),
    el("div", { class: "groups" }, groupCards));
}

function drawTopology(view, first) {
  const box = document.getElementById("topology");
  box.replaceChildren(...view.services.map((s) => serviceBlock(s, view.target_groups)));
  document.getElementById("source").textContent = `${view.source} · ${view.region}`;
  if (!first) return;
  const select = document.getElementById("filter-service");
  for (const service of view.services) {
    select.append(el("option", { value: service.name }, service.name));
  }
}

// Targets' health changes as health checks run: the diagram is fetched again every few
// seconds and redrawn only when it changed.
const TOPOLOGY_REFRESH_MS = 5000;
let topologyText = null;

function refreshTopology() {
  return fetch("/api/topology", { cache: "no-store" })
    .then((response) => {
      if (!response.ok) throw new Error(`/api/topology: ${response.status}`);
      return response.text();
    })
    .then((text) => {
      if (text === topologyText) return;
      const first = topologyText === null;
      topologyText = text;
      drawTopology(JSON.parse(text), first);
    });
}

// ---- requests -------------------------------------------------------------------------------

function time(ms) {
  const d = new Date(ms);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function statementText(statement) {
  if (!statement) return null;
  const [level, name] = statement.includes(":") ? statement.split(/:(.*)/s) : ["", statement];
  const shown = name === "no-statement-allowed" ? "no statement allowed"
    : name === "no-policy" ? "no policy" : name;
  return level ? `${level}: ${shown}` : shown;
}

function authCell(row) {
  const statement = statementText(row.statement);
  switch (row.decision) {
    case "allow": return el("span", { class: "decision decision-allow" }, "allow", statement ? el("span", { class: "dim" }, ` · ${statement}`) : null);
    case "deny": return el("span", { class: "decision decision-deny" }, "deny", el("span", { class: "dim" }, ` · ${statement || "no statement allowed"}`));
    case "bad-signature": return el("span", { class: "decision decision-deny" }, "bad signature");
    case "no-policy": return el("span", { class: "dim" }, "none (auth NONE)");
    default: return el("span", { class: "dim" }, "—");
  }
}

function statusClass(status) {
  return `status status-${Math.floor(status / 100)}xx`;
}

function rowNode(row) {
  const caller = row.principal
    ? el("span", { class: "principal", title: row.principal }, row.principal.replace(/^arn:aws:[a-z]+::\d+:/, ""))
    : el("span", { class: "unsigned" }, "unsigned");
  const tr = el("tr", { "data-id": row.id, "data-service": row.service || "", "data-status": row.status, tabindex: "0" },
    el("td", { class: "mono" }, time(row.time_ms)),
    el("td", {}, row.service || "—"),
    el("td", { class: "mono" }, row.method),
    el("td", { class: "mono path", title: row.path }, row.path),
    el("td", {}, row.rule || "—"),
    el("td", {}, caller),
    el("td", {}, authCell(row)),
    el("td", { class: "small" }, row.target || "—"),
    el("td", {}, el("span", { class: statusClass(row.status), title: row.reason || "" }, row.status),
      row.reason ? el("span", { class: "dim small" }, ` ${row.reason}`) : null),
    el("td", { class: "num mono" }, `${row.latency_ms.toFixed(2)} ms`));
  tr.addEventListener("click", () => select(row.id));
  tr.addEventListener("keydown", (e) => { if (e.key === "Enter") select(row.id); });
  return tr;
}

function matchesFilters(row) {
  const service = document.getElementById("filter-service").value;
  const status = document.getElementById("filter-status").value;
  if (service && row.service !== service) return false;
  if (status === "error") return row.status >= 400;
  if (status) return String(row.status).startsWith(status);
  return true;
}

function addRow(row) {
  if (state.rows.has(row.id)) return;
  const node = rowNode(row);
  node.hidden = !matchesFilters(row);
  state.rows.set(row.id, { row, node });
  const body = document.querySelector("#requests tbody");
  body.prepend(node);
  // The server keeps the last N; so does the page.
  const history = state.limits ? state.limits.history : 200;
  while (state.rows.size > history) {
    const [oldest] = state.rows.keys();
    state.rows.get(oldest).node.remove();
    state.rows.delete(oldest);
  }
  refreshCount();
}

function refreshCount() {
  let shown = 0;
  for (const { row, node } of state.rows.values()) {
    node.hidden = !matchesFilters(row);
    if (!node.hidden) shown += 1;
  }
  document.getElementById("empty").hidden = state.rows.size > 0;
  document.getElementById("count").textContent = `${shown} of ${state.rows.size} shown`;
}

async function loadExchanges() {
  const list = await getJson("/api/exchanges");
  state.limits = { history: list.history, body_limit: list.body_limit };
  document.getElementById("limits").textContent =
    `Keeps the last ${list.history} exchanges; bodies are cut at ${list.body_limit.toLocaleString("en")} bytes; ` +
    "credentials (authorization, cookies, security tokens, presigned signatures) are redacted by lattice-local before they are kept.";
  for (const row of list.exchanges) addRow(row);
}

function follow() {
  const live = document.getElementById("live");
  const events = new EventSource("/api/events");
  events.addEventListener("open", () => { live.textContent = "live"; live.className = "pill pill-on"; });
  events.addEventListener("error", () => { live.textContent = "reconnecting"; live.className = "pill pill-off"; });
  events.addEventListener("exchange", (e) => addRow(JSON.parse(e.data)));
  // Events were dropped because the page fell behind: fetch the list again.
  events.addEventListener("gap", () => { loadExchanges().catch(showError); });
}

// ---- one exchange ---------------------------------------------------------------------------

function headerTable(lines, markLattice) {
  return el("table", { class: "headers" },
    el("tbody", {}, lines.map((h) =>
      el("tr", { class: markLattice && h.lattice ? "lattice-header" : "" },
        el("td", { class: "mono hname" }, h.name),
        el("td", { class: "mono" }, h.value),
        el("td", { class: "mark" }, markLattice && h.lattice
          ? el("span", { class: "badge badge-lattice", title: "set by Lattice (client copies are removed)" }, "added by Lattice")
          : null)))));
}

function block(title, id, ...content) {
  return el("div", { class: "block", id }, el("h3", {}, title), ...content);
}

function pre(id, text) {
  return el("pre", { class: "code", id }, text);
}

async function select(id) {
  state.selected = id;
  for (const { node } of state.rows.values()) node.classList.toggle("selected", Number(node.dataset.id) === id);
  const section = document.getElementById("exchange-section");
  const box = document.getElementById("exchange");
  section.hidden = false;
  let data;
  try {
    data = await getJson(`/api/exchanges/${id}`);
  } catch (error) {
    box.replaceChildren(el("p", { class: "error" }, String(error.message)));
    return;
  }
  if (state.selected !== id) return;
  const { row, detail } = data;
  document.getElementById("exchange-title").textContent = `#${row.id} · ${row.method} ${row.path} → ${row.status}`;
  const parts = [
    block("Request as received", "received",
      el("div", { class: "mono target-line" }, `${row.method} ${detail.target}`),
      headerTable(detail.received, false)),
  ];
  if (detail.forwarded) {
    parts.push(block("Headers as forwarded to the target", "forwarded", headerTable(detail.forwarded, true)));
  }
  if (detail.lambda) {
    const l = detail.lambda;
    const cut = l.cut ? el("p", { class: "note" }, `Bodies longer than ${data.body_limit.toLocaleString("en")} bytes are cut (…).`) : null;
    parts.push(block(`Lambda event sent to ${l.function} (${l.event_version})`, "lambda-event",
      el("div", { class: "dim small" }, `request id ${l.request_id}`), cut, pre("event-json", l.event)));
    if (l.response !== null) parts.push(block("Function response", "lambda-response", pre("response-json", l.response)));
    if (l.error !== null) parts.push(block("Function error", "lambda-error", pre("function-error", l.error)));
    parts.push(block("Function log for this request", "lambda-log",
      pre("function-log", l.log === null ? "(no log: the invocation did not reach an instance)" : l.log)));
  }
  if (detail.upstream) {
    const u = detail.upstream;
    parts.push(block(`Upstream response from ${u.url}`, "upstream",
      el("div", {}, el("span", { class: statusClass(u.status) }, u.status)),
      headerTable(u.headers, false)));
  }
  if (!detail.forwarded && !detail.lambda && !detail.upstream) {
    parts.push(el("p", { class: "dim" }, `Not forwarded: ${row.reason || "answered by lattice-local"}.`));
  }
  box.replaceChildren(...parts);
}

function showError(error) {
  const live = document.getElementById("live");
  live.textContent = "error";
  live.className = "pill pill-off";
  live.title = String(error.message || error);
}

// ---- start ----------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  for (const id of ["filter-service", "filter-status"]) {
    document.getElementById(id).addEventListener("change", refreshCount);
  }
  refreshTopology().catch(showError);
  setInterval(() => refreshTopology().catch(() => {}), TOPOLOGY_REFRESH_MS);
  loadExchanges().then(follow).catch((error) => { showError(error); follow(); });
});
