// Saga explorer: lists orders (GET /orders), counts them per status, and draws one order's
// timeline (GET /orders/{id}/timeline) as a swimlane diagram, one lane per service; an
// orchestrated order's lanes start with the orchestrator's, its commands arrows to the participants.
// Plain browser JavaScript, no build step, no dependencies; every value from the API is set as
// text (never as HTML).
"use strict";

const STATUSES = ["Pending", "AwaitingPayment", "Confirmed", "Completed", "Cancelled"];
const REFRESH_MS = 3000;
const SVG_NS = "http://www.w3.org/2000/svg";
// Lanes share the panel's width, so every lane is in view; below the minimum the diagram scrolls.
const MIN_LANE_WIDTH = 120;
const MAX_LANE_WIDTH = 200;
const GUTTER = 70;
const ORCHESTRATOR = "order-process-service";
// Room right of the last lane for its steps' labels.
const RIGHT_MARGIN = 100;
const HEADER = 44;
const ROW = 46;

const state = { page: 1, pageCount: 1, flow: "", selected: null, timelineJson: "", timeline: null, timer: null };
const $ = (id) => document.getElementById(id);

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}`);
  return response.json();
}

function element(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

const shortId = (id) => (id.length > 13 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id);
const time = (iso) => new Date(iso).toISOString().slice(11, 23);
const money = (value) => (typeof value === "number" ? value.toFixed(2) : "");
// An orchestrated order's engine, as the order has it; choreographed orders have none.
const engineOf = (order) => (order.flow === "Orchestration" ? order.engine ?? "unknown" : "");

// ---- counts and list -------------------------------------------------------------------

async function refreshCounts() {
  const flow = state.flow ? `&flow=${state.flow}` : "";
  const pages = await Promise.all(STATUSES.map((s) => getJson(`/orders?status=${s}${flow}&page=1`)));
  const list = $("counts");
  list.replaceChildren(...STATUSES.map((status, i) => {
    const item = element("li", { "data-status": status });
    item.append(element("span", { class: "count" }, String(pages[i].totalCount)), element("span", { class: "label" }, status));
    return item;
  }));
}

async function refreshOrders() {
  const flow = state.flow ? `&flow=${state.flow}` : "";
  const page = await getJson(`/orders?page=${state.page}${flow}`);
  state.pageCount = Math.max(1, Math.ceil(page.totalCount / page.pageSize));
  const rows = page.items.map((order) => {
    const row = element("tr", { "data-order-id": order.orderId, "data-status": order.status });
    if (order.orderId === state.selected) row.classList.add("selected");
    const open = element("button", { type: "button", class: "order-link", title: order.orderId,
      "aria-label": `Show the timeline of order ${order.orderId}`,
      "aria-pressed": String(order.orderId === state.selected) }, shortId(order.orderId));
    open.addEventListener("click", () => select(order.orderId));
    const idCell = element("td");
    idCell.append(open);
    const statusCell = element("td");
    statusCell.append(element("span", { class: `badge ${order.status}` }, order.status));
    row.append(
      idCell,
      element("td", { class: "flow" }, order.flow),
      element("td", { class: "engine" }, engineOf(order)),
      statusCell,
      element("td", { class: "reason" }, order.cancellationReason ?? ""),
      element("td", { class: "num" }, money(order.total)),
      element("td", {}, time(order.createdAt).slice(0, 8)));
    return row;
  });
  $("orders").replaceChildren(...rows);
  $("orders-empty").hidden = rows.length > 0;
  $("page-info").textContent = `Page ${state.page} of ${state.pageCount} · ${page.totalCount} orders`;
  $("prev-page").disabled = state.page <= 1;
  $("next-page").disabled = state.page >= state.pageCount;
}

// ---- timeline --------------------------------------------------------------------------

function select(orderId) {
  state.selected = orderId;
  state.timelineJson = "";
  history.replaceState(null, "", `#order=${encodeURIComponent(orderId)}`);
  for (const row of $("orders").querySelectorAll("tr")) {
    const chosen = row.dataset.orderId === orderId;
    row.classList.toggle("selected", chosen);
    row.querySelector("button")?.setAttribute("aria-pressed", String(chosen));
  }
  refreshTimeline().catch(showError);
}

async function refreshTimeline() {
  if (!state.selected) return;
  const timeline = await getJson(`/orders/${encodeURIComponent(state.selected)}/timeline`);
  const json = JSON.stringify(timeline);
  if (json === state.timelineJson) return; // unchanged: keep the drawing (and the reader's place)
  state.timelineJson = json;
  state.timeline = timeline;
  drawTimeline(timeline);
}

function describe(step) {
  const d = step.detail ?? {};
  const parts = [];
  if (d.reason) parts.push(d.reason);
  if (d.courierId) parts.push(`courier ${d.courierId}`);
  if (typeof d.amount === "number") parts.push(money(d.amount));
  return parts.join(" · ");
}

function drawTimeline(timeline) {
  const reason = timeline.cancellationReason ? ` (${timeline.cancellationReason})` : "";
  const orchestrated = timeline.flow === "Orchestration";
  const engine = orchestrated ? ` · ${timeline.engine ?? "unknown"} engine` : "";
  $("timeline-title").textContent = `Timeline of ${shortId(timeline.orderId)}`;
  $("timeline-summary").textContent =
    `${timeline.flow}${engine} · ${timeline.status}${reason} · ${timeline.steps.length} steps · order ${timeline.orderId}`;
  $("timeline-summary").dataset.engine = orchestrated ? timeline.engine ?? "" : "";
  const unavailable = timeline.orchestrator === "Unavailable";
  $("orchestrator-unavailable").hidden = !unavailable;
  $("legend").hidden = false;
  $("legend-commands").hidden = !orchestrated;

  const lanes = timeline.services;
  // The orchestrator's commands carry their own arrows; without its lane, order-service's steps
  // point back to the orchestrator that asked for them.
  const commandsDrawn = timeline.steps.some((step) => step.participant);
  const available = $("diagram").parentElement.clientWidth || 0;
  const laneWidth = Math.max(MIN_LANE_WIDTH, Math.min(MAX_LANE_WIDTH, Math.floor((available - GUTTER - RIGHT_MARGIN) / lanes.length)));
  const laneX = (service) => GUTTER + (Math.max(0, lanes.indexOf(service)) + 0.5) * laneWidth;
  const width = GUTTER + lanes.length * laneWidth + RIGHT_MARGIN;
  const height = HEADER + timeline.steps.length * ROW + 16;
  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", id: "timeline-svg",
    "aria-label": `Swimlane diagram of ${timeline.steps.length} steps across ${lanes.join(", ")}` });
  root.append(svg("defs", {}), svg("title", {}, `Saga of order ${timeline.orderId}`));
  const defs = root.querySelector("defs");
  for (const [id, cls] of [["arrow-head", "#4a5563"], ["command-head", "#1f5fbf"], ["compensation-head", "#b3471b"]]) {
    const marker = svg("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: cls }));
    defs.append(marker);
  }

  lanes.forEach((service, i) => {
    const x = GUTTER + i * laneWidth;
    root.append(svg("rect", { x, y: 0, width: i === lanes.length - 1 ? laneWidth + RIGHT_MARGIN : laneWidth, height,
      class: `lane-band ${i % 2 ? "b" : "a"}`, "data-service": service }));
    root.append(svg("text", { x: x + laneWidth / 2, y: 20, "text-anchor": "middle", class: "lane-title", "data-service": service }, service));
    if (service === ORCHESTRATOR && unavailable) {
      root.append(svg("text", { x: x + laneWidth / 2, y: 33, "text-anchor": "middle", class: "lane-note" }, "unavailable"));
    }
    root.append(svg("line", { x1: x + laneWidth / 2, y1: HEADER - 8, x2: x + laneWidth / 2, y2: height - 8, class: "lifeline" }));
  });

  const start = timeline.steps.length ? new Date(timeline.steps[0].at).getTime() : 0;
  const arrows = svg("g", { class: "arrows" });
  const marks = svg("g", { class: "steps" });
  root.append(arrows, marks);
  let previousX = null;
  timeline.steps.forEach((step, i) => {
    const y = HEADER + i * ROW + ROW / 2;
    const x = laneX(step.service);
    const offset = new Date(step.at).getTime() - start;
    root.append(svg("text", { x: 8, y: y + 4, class: "time-label" }, `+${offset} ms`));

    const group = svg("g", { class: `step ${step.compensation ? "compensation" : ""}`, "data-service": step.service,
      "data-action": step.action, "data-outcome": step.outcome });
    if (step.participant) group.dataset.participant = step.participant;
    group.append(step.compensation
      ? svg("rect", { x: x - 6, y: y - 6, width: 12, height: 12, transform: `rotate(45 ${x} ${y})`, class: "m-compensation" })
      : svg("circle", { cx: x, cy: y, r: 6, class: `m-${step.outcome.toLowerCase()}` }));

    // The arrow says what led here: the orchestrator's command goes to its participant; otherwise
    // order-service's step comes from the orchestrator that asked for it, or from the step before
    // (choreography only: an orchestrated saga's facts follow its commands, not each other).
    let fromX = null;
    let toX = x;
    let kind = step.compensation ? "compensation" : "";
    if (step.participant && lanes.includes(step.participant)) {
      fromX = x;
      toX = laneX(step.participant);
      kind = step.compensation ? "compensation" : `command ${step.outcome.toLowerCase()}`;
    } else if (!commandsDrawn && step.requestedBy && lanes.includes(step.requestedBy)) {
      fromX = laneX(step.requestedBy);
      kind = step.compensation ? "compensation" : "command";
    } else if (!orchestrated) {
      fromX = previousX;
    }
    if (fromX !== null && fromX !== toX) {
      const towards = toX > fromX ? -7 : 7;
      const head = kind === "compensation" ? "compensation-head" : kind.startsWith("command") ? "command-head" : "arrow-head";
      arrows.append(svg("line", { x1: fromX, y1: y, x2: toX + towards, y2: y, class: `arrow ${kind}`, "marker-end": `url(#${head})` }));
    }

    // Labels go on the side the arrow does not come from; a command's beside its arrow's head.
    const leftSide = !step.participant && fromX !== null && fromX > x && x - GUTTER > laneWidth / 2;
    const labelX = step.participant ? Math.max(x, toX) + 12 : leftSide ? x - 12 : x + 12;
    const anchor = leftSide ? "end" : "start";
    const sub = [step.outcome, describe(step)].filter(Boolean).join(" · ");
    const label = svg("text", { x: labelX, y: y - 2, "text-anchor": anchor, class: "step-label" }, step.action + (step.compensation ? " ↺" : ""));
    const detail = svg("text", { x: labelX, y: y + 12, "text-anchor": anchor, class: "sub" }, sub);
    const to = step.participant ? ` → ${step.participant}` : "";
    const tooltip = svg("title", {}, `${time(step.at)} ${step.service}${to}: ${step.action} (${sub})${step.note ? ` — ${step.note}` : ""}`);
    group.append(tooltip, label, detail);
    marks.append(group);
    previousX = toX;
  });

  $("diagram").replaceChildren(root);
  // Label backgrounds need the texts' measured sizes, so they come once the drawing is in the page.
  for (const text of root.querySelectorAll(".step text")) {
    const box = text.getBBox();
    text.before(svg("rect", { x: box.x - 2, y: box.y - 1, width: box.width + 4, height: box.height + 2, class: "label-bg" }));
  }

  $("steps-details").hidden = false;
  $("steps").replaceChildren(...timeline.steps.map((step) => {
    const sub = describe(step);
    const item = element("li", step.compensation ? { class: "compensation" } : {},
      `${time(step.at)} — ${step.service}${step.participant ? ` → ${step.participant}` : ""}: ${step.action} (${step.outcome}${step.compensation ? ", compensation" : ""})` +
      `${sub ? ` — ${sub}` : ""}${step.requestedBy ? ` — requested by ${step.requestedBy}` : ""}`);
    return item;
  }));
}

// ---- refresh loop ------------------------------------------------------------------------

function showError(error) {
  $("refresh-status").textContent = `Refresh failed: ${error.message}`;
}

async function refresh() {
  try {
    await Promise.all([refreshCounts(), refreshOrders(), refreshTimeline()]);
    $("refresh-status").textContent = `Updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    showError(error);
  }
}

function schedule() {
  clearInterval(state.timer);
  state.timer = $("auto-refresh").checked ? setInterval(refresh, REFRESH_MS) : null;
}

document.addEventListener("DOMContentLoaded", () => {
  $("auto-refresh").addEventListener("change", schedule);
  $("refresh-now").addEventListener("click", refresh);
  $("flow-filter").addEventListener("change", (e) => { state.flow = e.target.value; state.page = 1; refresh(); });
  $("prev-page").addEventListener("click", () => { state.page = Math.max(1, state.page - 1); refresh(); });
  $("next-page").addEventListener("click", () => { state.page = Math.min(state.pageCount, state.page + 1); refresh(); });
  // The lanes share the panel's width: a resized window redraws them.
  let resizing = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(resizing);
    resizing = requestAnimationFrame(() => { if (state.timeline) drawTimeline(state.timeline); });
  });
  const linked = /^#order=(.+)$/.exec(location.hash);
  if (linked) state.selected = decodeURIComponent(linked[1]);
  refresh();
  schedule();
});
