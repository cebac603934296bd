// the API reference, drawn from the app's own OpenAPI schema (no CDN, no build step)
"use strict";
function cell(text) { const td = document.createElement("td"); td.textContent = text ?? ""; return td; }
function resolve(schema, ref) { return ref.split("/").slice(1).reduce((o, k) => o[k], schema); }
fetch("/openapi.json").then((r) => r.json()).then((schema) => {
  const ops = document.getElementById("ops");
  for (const [path, verbs] of Object.entries(schema.paths)) {
    for (const [verb, op] of Object.entries(verbs)) {
      const card = document.createElement("section");
      card.className = "card op";
      const title = document.createElement("h2");
      title.innerHTML = `<span class="verb">${verb.toUpperCase()}</span>`;
      title.append(path);
      const summary = document.createElement("p");
      summary.textContent = op.summary || "";
      card.append(title, summary);
      const rows = (op.parameters || []).map((p) => [p.name, p.in, p.schema?.type, p.description]);
      const body = op.requestBody?.content?.["multipart/form-data"]?.schema;
      if (body) {
        const form = body.$ref ? resolve(schema, body.$ref) : body;
        for (const [name, prop] of Object.entries(form.properties || {})) {
          rows.push([name, "form", prop.type || (prop.anyOf || []).map((a) => a.type || a.format).join("|"),
                     prop.description]);
        }
      }
      if (rows.length) {
        const table = document.createElement("table");
        const head = document.createElement("tr");
        for (const h of ["name", "in", "type", "what"]) { const th = document.createElement("th"); th.textContent = h; head.append(th); }
        table.append(head);
        for (const row of rows) { const tr = document.createElement("tr"); tr.append(...row.map(cell)); table.append(tr); }
        card.append(table);
      }
      ops.append(card);
    }
  }
});
