// The governance web interface: compare policies and move a threshold (policymakers); browse entries and
// check inclusion proofs in the browser (auditors). It talks only to the service that served it.
//
// The fragment can drive it, for automation and tests (it is never sent to the server):
//   #token=KEY&view=compare&policies=a@1,b@2&as_of=2026-11-28&sweep=a@1:compute_line&step=10
//   #token=KEY&view=audit&check=SEQ        #view=audit&verify=BASE64URL_OF_A_PROOF_DOCUMENT
// The outcome of a scripted run is written to <body data-status=… data-…> attributes.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { comparison: null, sweep: null };
const TIERS = ["open", "staged", "restricted"];

function token() { return $("token").value.trim(); }

function say(text, error = false) {
  $("message").textContent = text;
  $("message").className = error ? "error" : "";
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token()) headers.Authorization = "Bearer " + token();
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const detail = body && body.detail ? body.detail : String(body).slice(0, 300);
    throw new Error(`${response.status}: ${detail}`);
  }
  return body;
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "" : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function table(headers, rows) {
  const t = document.createElement("table");
  const head = t.createTHead().insertRow();
  for (const h of headers) {
    const th = document.createElement("th");
    th.textContent = h;
    head.appendChild(th);
  }
  const body = t.createTBody();
  for (const values of rows) {
    const row = body.insertRow();
    for (const value of values) {
      const tier = TIERS.includes(value) ? "tier-" + value : "";
      cell(row, value, tier);
    }
  }
  return t;
}

function show(view) {
  for (const id of ["compare", "audit"]) $(id).hidden = id !== view;
  for (const button of document.querySelectorAll("nav button")) {
    button.setAttribute("aria-pressed", String(button.dataset.view === view));
  }
}

// -- policymakers: compare, sweep ----------------------------------------------------------------------

async function loadPolicies(chosen) {
  const policies = await api("/v1/policies");
  const list = $("policy-list");
  list.textContent = "";
  for (const p of policies) {
    const ref = `${p.id}@${p.version}`;
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = ref;
    box.checked = chosen ? chosen.includes(ref) : false;
    label.append(box, ` ${ref} — ${p.title}`);
    list.appendChild(label);
  }
  return policies;
}

function chosenPolicies() {
  return [...document.querySelectorAll("#policy-list input:checked")].map((box) => box.value);
}

async function populationField() {
  const kind = document.querySelector("input[name=population]:checked").value;
  if (kind === "shipped") return { shipped: "notable-models" };
  const file = $("population-file").files[0];
  if (!file) throw new Error("choose a CSV file, or the shipped population");
  return { csv: await file.text() };
}

async function compare() {
  const policies = chosenPolicies();
  if (!policies.length) throw new Error("choose at least one policy");
  const population = await populationField();
  const body = Object.assign({ policies, as_of: $("as-of").value || undefined, limit: 200 }, population);
  say("comparing…");
  const result = await api("/v1/comparisons", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  state.comparison = { body, result };
  renderComparison(result);
  await fillSweepChoices(policies);
  say(`compared ${policies.length} policies over ${result.population.rows} models`);
  return result;
}

function renderComparison(result) {
  const out = $("compare-result");
  out.textContent = "";
  const counts = result.policies.map((p) => [p.ref, ...TIERS.map((t) => p.tiers[t])]);
  const h = document.createElement("h3");
  h.textContent = "Tiers";
  out.append(h, table(["policy", ...TIERS], counts));
  let disagreements = 0;
  for (const pair of result.pairs) {
    const title = document.createElement("h3");
    title.textContent = `${pair.left} and ${pair.right} disagree on ${pair.disagreements} model(s)`;
    const rows = pair.disagreement_rows.map((d) => [d.model, d.left_tier, d.left_rule, d.right_tier, d.right_rule]);
    out.append(title, table(["model", pair.left, "deciding rule", pair.right, "deciding rule"], rows));
    disagreements += pair.disagreements;
  }
  document.body.dataset.models = String(result.population.rows);
  document.body.dataset.disagreements = String(disagreements);
}

async function fillSweepChoices(policies) {
  const select = $("sweep-parameter");
  select.textContent = "";
  for (const ref of policies) {
    const [id, version] = ref.split("@");
    const policy = await api(`/v1/policies/${encodeURIComponent(id)}/${encodeURIComponent(version)}`);
    const thresholds = ((policy.document.parameters || {}).thresholds) || {};
    for (const name of Object.keys(thresholds)) {
      const option = document.createElement("option");
      option.value = `${ref}:${name}`;
      option.textContent = `${ref}: ${name} (now ${thresholds[name]})`;
      select.appendChild(option);
    }
  }
  $("sweep").hidden = select.options.length === 0;
}

async function sweep(choice) {
  if (!state.comparison) throw new Error("compare first");
  const [policy, parameter] = choice.split(":");
  const body = Object.assign({ policy, parameter, steps: 41, as_of: state.comparison.body.as_of },
    Object.fromEntries(Object.entries(state.comparison.body).filter(([k]) => ["shipped", "csv"].includes(k))));
  say("sweeping…");
  state.sweep = await api("/v1/sweeps", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const slider = $("sweep-slider");
  slider.max = String(state.sweep.values.length - 1);
  slider.value = String(nearest(state.sweep.values, state.sweep.current));
  $("sweep-controls").hidden = false;
  renderStep(Number(slider.value));
  say(`${state.sweep.flipping_models} models change tier somewhere in the range`);
}

function nearest(values, target) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (Math.abs(values[i] - target) < Math.abs(values[best] - target)) best = i;
  return best;
}

function renderStep(step) {
  const s = state.sweep;
  const value = s.values[step];
  $("sweep-value").textContent = `${s.parameter} = ${value.toPrecision(4)} (now ${s.current})`;
  const lo = Math.min(value, s.current);
  const hi = Math.max(value, s.current);
  const flipped = s.flips.filter((f) => f.value > lo && f.value <= hi);
  const out = $("sweep-result");
  out.textContent = "";
  const counts = TIERS.map((t) => s.tiers[t][step]);
  out.append(table(TIERS, [counts]));
  const title = document.createElement("p");
  title.textContent = `${flipped.length} change(s) of tier between the current value and this one`;
  out.append(title, table(["model", "at", "from", "to"], flipped.map((f) => [f.model, f.value.toPrecision(4), f.from, f.to])));
  out.dataset.step = String(step);
  out.dataset.flipped = String(flipped.length);
  document.body.dataset.sweepStep = String(step);
  document.body.dataset.sweepFlipped = String(flipped.length);
  document.body.dataset.sweepOpen = String(counts[0]);
}

// -- auditors: entries and inclusion proofs ---------------------------------------------------------------

async function loadEntries() {
  const page = await api("/v1/entries?limit=100");
  const body = $("entries").tBodies[0];
  body.textContent = "";
  for (const e of page.entries) {
    const row = body.insertRow();
    cell(row, e.seq);
    cell(row, e.recorded_at);
    cell(row, e.candidate.model.name);
    cell(row, `${e.decision.policy.id}@${e.decision.policy.version}`);
    cell(row, e.decision.tier, "tier-" + e.decision.tier);
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "show and check";
    button.addEventListener("click", () => run(() => check(e.seq)));
    row.insertCell().appendChild(button);
  }
  document.body.dataset.entries = String(page.entries.length);
  return page.entries;
}

function renderEntry(entry) {
  const out = $("entry");
  out.textContent = "";
  const d = entry.decision;
  const h = document.createElement("h3");
  h.textContent = `Entry ${entry.seq}: ${entry.candidate.model.name} is ${d.tier} under ${d.policy.id}@${d.policy.version}`;
  const reasons = (d.reasons || []).map((r) => [r.rule, r.tier, r.rationale ?? r.summary ?? ""]);
  const waiting = (d.not_ruled_out || []).map((r) => [r.rule, r.tier, `not ruled out: waiting on ${(r.waiting_on || []).join(", ")}`]);
  out.append(h, table(["rule", "tier", "why"], reasons.concat(waiting)));
}

async function check(seq) {
  const [entry, proof] = await Promise.all([api(`/v1/entries/${seq}`), api(`/v1/proofs/inclusion?seq=${seq}`)]);
  renderEntry(entry);
  return verifyAndShow(proof);
}

async function verifyAndShow(proof) {
  const out = $("proof-result");
  let outcome;
  try {
    outcome = await verifyInclusion(proof, $("pubkey").value.trim());
    out.className = "ok";
    out.textContent = `Verified in this browser: ${outcome}`;
    document.body.dataset.proof = "ok";
  } catch (error) {
    out.className = "fail";
    out.textContent = `Does not verify: ${error.message}`;
    document.body.dataset.proof = "failed";
  }
  return outcome;
}

// RFC 8785 canonical JSON: ECMAScript number and string serialisation, keys in UTF-16 code-unit order.
function canonical(value) {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  return "{" + Object.keys(value).sort().map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
}

function fromBase64(text) {
  const raw = atob(text);
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) { out.set(p, offset); offset += p.length; }
  return out;
}

async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)); }

function same(a, b) { return a.length === b.length && a.every((x, i) => x === b[i]); }

// RFC 9162 section 2.1.3.2: the root an inclusion proof leads to.
async function rootFromPath(index, size, leaf, path) {
  if (index >= size) throw new Error("the index is outside the tree");
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) throw new Error("the proof is longer than the tree is deep");
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(concat(Uint8Array.of(1), p, r));
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await sha256(concat(Uint8Array.of(1), r, p));
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error("the proof is shorter than the tree is deep");
  return r;
}

async function verifyInclusion(proof, pinned) {
  if (!proof.entry) throw new Error("the proof carries no entry (this key may not read it)");
  const leaf = await sha256(concat(Uint8Array.of(0), new TextEncoder().encode(canonical(proof.entry))));
  if (!same(leaf, fromBase64(proof.leaf_hash))) throw new Error("the entry does not hash to the proof's leaf: it was altered");
  const root = await rootFromPath(proof.seq, proof.tree_size, leaf, proof.proof.map(fromBase64));
  const [bodyText, signatures] = proof.checkpoint.split("\n\n");
  const lines = bodyText.split("\n");
  if (lines[0] !== proof.origin || Number(lines[1]) !== proof.tree_size) throw new Error("the checkpoint is of another tree");
  if (!same(root, fromBase64(lines[2]))) throw new Error("the audit path does not lead to the signed root");
  const keyText = pinned || proof.key;
  const first = keyText.indexOf("+");
  const second = keyText.indexOf("+", first + 1);  // the base64 key itself may hold '+'
  const [name, keyId, encoded] = [keyText.slice(0, first), keyText.slice(first + 1, second), keyText.slice(second + 1)];
  const raw = fromBase64(encoded);
  const signature = signatures.split("\n").find((line) => line.startsWith("\u2014 " + name + " "));
  if (!signature) throw new Error(`the checkpoint is not signed by ${name}`);
  const blob = fromBase64(signature.split(" ")[2]);
  const id = [...blob.slice(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join("");
  if (id !== keyId) throw new Error("the checkpoint is signed by another key");
  const key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
  const good = await crypto.subtle.verify({ name: "Ed25519" }, key, blob.slice(4), new TextEncoder().encode(bodyText + "\n"));
  if (!good) throw new Error("the checkpoint's signature does not verify");
  const trust = pinned ? "the key you pinned" : "the key the proof carries (pin the ledger's key to rule out a re-signed copy)";
  return `entry ${proof.seq} is in the tree of ${proof.tree_size} entries signed by ${trust}`;
}

// -- wiring -----------------------------------------------------------------------------------------------

async function run(task) {
  try {
    return await task();
  } catch (error) {
    say(error.message, true);
    document.body.dataset.error = error.message;
    return undefined;
  }
}

function fragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  return Object.fromEntries(params.entries());
}

async function scripted(p) {
  if (p.view === "compare") {
    await loadPolicies((p.policies || "").split(","));
    if (p.as_of) $("as-of").value = p.as_of;
    await compare();
    if (p.sweep) {
      await sweep(p.sweep);
      if (p.step !== undefined) {
        $("sweep-slider").value = p.step;
        renderStep(Number(p.step));
      }
    }
  } else if (p.view === "audit") {
    if (p.verify) {
      const text = atob(p.verify.replace(/-/g, "+").replace(/_/g, "/"));
      await verifyAndShow(JSON.parse(new TextDecoder().decode(Uint8Array.from(text, (c) => c.charCodeAt(0)))));
    } else {
      await loadEntries();
      if (p.check !== undefined) await check(Number(p.check));
    }
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  const p = fragment();
  $("token").value = p.token || sessionStorage.getItem("governance-token") || "";
  $("token").addEventListener("change", () => sessionStorage.setItem("governance-token", token()));
  $("as-of").value = new Date().toISOString().slice(0, 10);
  for (const button of document.querySelectorAll("nav button")) {
    button.addEventListener("click", () => {
      show(button.dataset.view);
      if (button.dataset.view === "compare" && token()) run(() => loadPolicies());
    });
  }
  $("compare-form").addEventListener("submit", (event) => { event.preventDefault(); run(compare); });
  $("sweep-run").addEventListener("click", () => run(() => sweep($("sweep-parameter").value)));
  $("sweep-slider").addEventListener("input", () => renderStep(Number($("sweep-slider").value)));
  $("entries-load").addEventListener("click", () => run(loadEntries));
  show(p.view || "compare");
  await run(() => scripted(p));
  document.body.dataset.status = document.body.dataset.error ? "error" : "ready";
});
