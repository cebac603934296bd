// prisma-abu studio: the forms come from GET /api/forms (the knob declarations), never written here.
"use strict";
const $ = (id) => document.getElementById(id);
const state = { forms: null, command: "mix", inputId: null, file: null, job: null, source: null };

async function api(path, options) {
  const response = await fetch(path, options);
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const message = body?.error || (Array.isArray(body?.detail) ? body.detail.map((d) => d.msg).join("; ")
                                                                  : body?.detail) || response.statusText;
    const error = new Error(message);
    error.retryAfter = response.headers.get("retry-after");
    throw error;
  }
  return body;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v; else if (v !== null && v !== undefined) node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

function shown(value) {
  if (value === null || value === undefined) return "none";
  if (Array.isArray(value)) return value.join(",");
  if (typeof value === "boolean") return value ? "on" : "off";
  return String(value);
}

// one form field from one knob: checkbox, select (choices), slider (0..1), number, or text
function field(knob) {
  const id = `knob-${knob.name}`;
  const label = el("label", { for: id, text: knob.name.replaceAll("_", " ") });
  const help = el("p", { class: "help", text: `${knob.help} (${knob.option}, default ${shown(knob.default)}` +
                                                 `${knob.unit ? ", " + knob.unit : ""})` });
  let input;
  if (knob.type === "bool") {
    input = el("input", { type: "checkbox", id });
    input.checked = Boolean(knob.default);
  } else if (knob.name === "model" && state.forms.model_choices.length) {
    input = el("select", { id }, ...state.forms.model_choices.map((m) => el("option", { value: m, text: m })));
    input.value = knob.default;
  } else if (knob.choices) {
    const options = knob.choices.map((c) => el("option", { value: c, text: c }));
    if (knob.optional) options.unshift(el("option", { value: "none", text: "none" }));
    input = el("select", { id }, ...options);
    input.value = shown(knob.default);
  } else if (knob.type === "float" && knob.low === 0 && knob.high === 1 && !knob.optional) {
    input = el("input", { type: "range", id, min: 0, max: 1, step: 0.01, value: knob.default });
    const out = el("span", { class: "range-value", text: knob.default });
    input.addEventListener("input", () => { out.textContent = input.value; });
    label.append(out);
  } else if ((knob.type === "int" || knob.type === "float") && !knob.optional) {
    input = el("input", { type: "number", id, value: knob.default, min: knob.low, max: knob.high,
                          step: knob.type === "int" ? 1 : "any", inputmode: "decimal" });
  } else {
    input = el("input", { type: "text", id, value: shown(knob.default), placeholder: knob.metavar || "" });
  }
  input.dataset.knob = knob.name;
  input.addEventListener("change", () => { input.dataset.touched = "yes"; });
  input.addEventListener("input", () => { input.dataset.touched = "yes"; });
  return el("div", { class: "field" }, label, input, help);
}

function typed(knob, input) {
  if (knob.type === "bool") return input.checked;
  const text = input.value.trim();
  if (knob.optional && (text === "" || text.toLowerCase() === "none")) return null;
  if (knob.type === "int") return parseInt(text, 10);
  if (knob.type === "float") return parseFloat(text);
  if (knob.type === "list") {
    if (!text || text === "none") return [];
    return text.split(knob.name.startsWith("spots_") ? ";" : ",").map((t) => t.trim()).filter(Boolean)
      .map((t) => (knob.name.startsWith("spots_") ? t.split(",").map(Number) : (isNaN(Number(t)) ? t : Number(t))));
  }
  return text;
}

// the knobs the user set, where they differ from their defaults (so the job is the CLI's with the same options)
function values() {
  const out = {};
  for (const knob of state.forms.commands[state.command].knobs) {
    const input = document.querySelector(`[data-knob="${knob.name}"]`);
    if (!input || input.dataset.touched !== "yes") continue;
    const value = typed(knob, input);
    if (JSON.stringify(value) !== JSON.stringify(knob.default)) out[knob.name] = value;
  }
  return out;
}

function drawCommand() {
  const spec = state.forms.commands[state.command];
  $("knobs").replaceChildren(...spec.knobs.filter((k) => k.primary).map(field));
  $("more-knobs").replaceChildren(...spec.knobs.filter((k) => !k.primary).map(field));
  $("guide-row").hidden = !spec.guide;
  const guides = () => state.forms.guides.map((g) => el("option", { value: g, text: g }));
  const stylized = state.forms.model_choices.filter((m) => m.startsWith("multistyle26:"))
    .map((m) => el("option", { value: `stylized:${m}`, text: `the photo, stylized ${m}` }));
  $("guide").replaceChildren(...(state.command === "mix" ? guides() : [el("option", { value: "none", text: "none" }),
                                                                      ...guides()]),
                             ...(state.command === "mix" ? [el("option", { value: "none", text: "none (a plain dream)" }),
                                                           ...stylized] : []));
  if (state.command === "mix") $("guide").value = state.forms.default_guide;
  $("style-image").replaceChildren(...guides());
  const model = document.querySelector('[data-knob="model"]');
  const styleRow = () => { $("style-row").hidden = !(model && model.value === "arbitrary"); };
  if (model) model.addEventListener("change", styleRow);
  styleRow();
}

function drawCommands() {
  const group = $("commands");
  group.replaceChildren(...Object.entries(state.forms.commands).map(([name, spec]) => {
    const input = el("input", { type: "radio", name: "command", value: name });
    input.checked = name === state.command;
    input.addEventListener("change", () => { state.command = name; drawCommand(); });
    return el("label", {}, input, el("span", { text: spec.title }));
  }));
}

function pickPhoto() {
  const file = $("photo").files[0];
  if (!file) return;
  state.file = file;
  state.inputId = null;
  $("photo-preview").src = URL.createObjectURL(file);
  $("photo-preview").hidden = false;
  $("photo-name").textContent = `${file.name} · ${(file.size / 1e6).toFixed(1)} MB`;
  $("paint").disabled = false;
}

async function submit(preview) {
  const form = new FormData();
  const params = values();
  if (preview) params.size = 160;
  form.append("command", state.command);
  form.append("params", JSON.stringify(params));
  if (state.inputId) form.append("input", state.inputId); else form.append("photo", state.file);
  const spec = state.forms.commands[state.command];
  if (spec.guide) form.append("guide", $("guide").value);
  if (!$("style-row").hidden) form.append("style_image", $("style-image").value);
  if (preview) form.append("preview", "true");
  const job = await api("/api/jobs", { method: "POST", body: form });
  state.inputId = job.inputs[spec.photo_role].id;  // the next job sends the id, not the photo again
  return job;
}

function follow(job, onUpdate) {
  return new Promise((resolve) => {
    const source = new EventSource(`/api/jobs/${job.id}/events`);
    source.addEventListener("status", (event) => {
      const view = JSON.parse(event.data);
      onUpdate(view);
      if (view.status === "done" || view.status === "failed") { source.close(); resolve(view); }
    });
    source.onerror = async () => {  // the stream broke (a proxy, a restart): ask once more, then poll
      source.close();
      let view = await api(`/api/jobs/${job.id}`);
      while (view.status !== "done" && view.status !== "failed") {
        onUpdate(view);
        await new Promise((r) => setTimeout(r, 1000));
        view = await api(`/api/jobs/${job.id}`);
      }
      onUpdate(view);
      resolve(view);
    };
  });
}

function showStatus(view, what) {
  const p = view.progress;
  const bar = $("progress");
  if (view.status === "done") bar.value = 1;
  else if (p.fraction !== null) bar.value = p.fraction; else bar.removeAttribute("value");
  const steps = p.total ? ` · step ${p.steps} of ${p.total}` : (p.steps ? ` · step ${p.steps}` : "");
  $("status").textContent = `${what}: ${view.status}${steps}` +
    (view.seconds ? ` · ${view.seconds.toFixed(1)} s` : "") + (view.error ? ` · ${view.error}` : "");
}

function showResult(view, final) {
  $("out").hidden = false;
  $("result").src = `${view.result_url}?v=${view.id}`;
  $("result").dataset.job = view.id;
  $("result").dataset.final = final ? "yes" : "no";
  if (final) {
    $("download").href = `${view.result_url}?download=true`;
    $("download").hidden = false;
    $("copy").hidden = false;
    $("command").textContent = view.command_line;
  }
}

async function paint() {
  $("error").textContent = "";
  $("paint").disabled = true;
  $("out").hidden = false;
  $("download").hidden = $("copy").hidden = true;
  $("command").textContent = "";
  $("result").removeAttribute("src");
  try {
    const previewJob = await submit(true);
    const job = await submit(false);
    const preview = await follow(previewJob, (v) => showStatus(v, "preview"));
    if (preview.status === "done" && $("result").dataset.final !== "yes") showResult(preview, false);
    const done = await follow(job, (v) => showStatus(v, "painting"));
    if (done.status === "done") showResult(done, true);
    else $("error").textContent = done.error || "the job failed";
    loadGallery();
  } catch (error) {
    $("error").textContent = error.message + (error.retryAfter ? ` (try again in ${error.retryAfter} s)` : "");
  } finally {
    $("paint").disabled = false;
  }
}

async function loadGallery() {
  const jobs = (await api("/api/jobs")).filter((j) => j.status === "done" && !j.preview);
  $("gallery-empty").hidden = jobs.length > 0;
  $("gallery").replaceChildren(...jobs.map((job) => {
    const knobs = Object.entries(job.params).map(([k, v]) => `${k}=${shown(v)}`).join(" ");
    const figure = el("figure", { title: `${job.command_line}\n\n${knobs}` },
                      el("img", { src: job.result_url, alt: job.command, loading: "lazy" }),
                      el("figcaption", { text: `${job.command} ${job.guide || job.params.model || ""}` }));
    figure.addEventListener("click", () => { showResult(job, true); showStatus(job, job.command); });
    return figure;
  }));
}

async function start() {
  state.forms = await api("/api/forms");
  drawCommands();
  drawCommand();
  $("photo").addEventListener("change", pickPhoto);
  $("paint").addEventListener("click", paint);
  $("copy").addEventListener("click", async () => {
    const text = $("command").textContent;
    try { await navigator.clipboard.writeText(text); $("copy").textContent = "Copied"; }
    catch { window.getSelection().selectAllChildren($("command")); $("copy").textContent = "Selected: copy it"; }
    setTimeout(() => { $("copy").textContent = "Copy command"; }, 1500);
  });
  loadGallery();
}

start().catch((error) => { $("error").textContent = error.message; });
