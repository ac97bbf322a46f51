// The segment rule as condition rows: field, operator and value pickers from the vocabularies,
// nested AND/OR groups, "not" per row or group, and conditions on a person's organisation.
// The JSON in the textarea stays the rule that is sent: every change in the rows writes it,
// and a JSON edit rebuilds the rows, so the two forms round-trip. Without script, the JSON
// editor works alone.
(() => {
  "use strict";
  const root = document.getElementById("rule-builder");
  const rows = document.getElementById("rule-rows");
  const note = document.getElementById("builder-note");
  const textarea = document.getElementById("s-rule");
  const details = document.getElementById("rule-json");
  const protos = document.getElementById("rule-protos");
  if (!root || !textarea || !protos) return;
  const T = root.dataset;
  const GROUPS = ["all", "any"];

  const proto = (name) => protos.content.querySelector(`[data-proto="${name}"]`).cloneNode(true);
  const fieldOptions = [...proto("field").options];
  const FIELD_TYPE = Object.fromEntries(fieldOptions.map((o) => [o.value, o.dataset.type]));
  const FIELD_VALUES = Object.fromEntries(fieldOptions.map((o) => [o.value, o.dataset.values]));
  const CONDITIONS = [...proto("condition").options].map((o) => o.value);
  const first = (name) => proto(name).options[0].value;

  class Unsupported extends Error {}

  // JSON -> rows ------------------------------------------------------------------------
  function group(op, items, implicit = false) {
    return { type: "group", op, not: false, items, implicit };
  }

  function fromJson(node) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) throw new Unsupported();
    const keys = Object.keys(node);
    if ("field" in node) {
      if (keys.some((k) => !["field", "op", "value"].includes(k))) throw new Unsupported();
      return { type: "cond", key: "field", not: false, field: node.field, op: node.op, value: node.value };
    }
    if (keys.length !== 1) throw new Unsupported();
    const key = keys[0];
    if (GROUPS.includes(key)) {
      if (!Array.isArray(node[key])) throw new Unsupported();
      return group(key, node[key].map(fromJson));
    }
    if (key === "not") {
      const inner = fromJson(node.not);
      if (inner.not || inner.implicit) throw new Unsupported();
      inner.not = true;
      return inner;
    }
    if (key === "organisation") {
      let inner = fromJson(node.organisation);
      if (inner.type !== "group" || inner.not) inner = group("all", [inner], true);
      return { type: "cond", key, not: false, group: inner };
    }
    if (!CONDITIONS.includes(key)) throw new Unsupported();
    return { type: "cond", key, not: false, value: node[key] };
  }

  function toJson(m) {
    let out;
    if (m.type === "group") {
      out = m.implicit && m.items.length === 1 ? toJson(m.items[0]) : { [m.op]: m.items.map(toJson) };
    } else if (m.key === "field") {
      out = { field: m.field, op: m.op, value: m.value };
    } else if (m.key === "organisation") {
      out = { organisation: toJson(m.group) };
    } else {
      out = { [m.key]: m.value };
    }
    return m.not ? { not: out } : out;
  }

  function rootOf(json) {
    const model = fromJson(json);
    return model.type === "group" && !model.not ? model : group("all", [model], true);
  }

  function defaults(key) {
    switch (key) {
      case "field": return { field: "engagement_score", op: ">=", value: 5 };
      case "consent": return { value: first("consent") };
      case "webinars_attended": return { value: { at_least: 1, days: 365 } };
      case "touchpoints": return { value: { kind: first("kind"), at_least: 1, days: 365 } };
      case "purchased_within_days": return { value: 365 };
      case "sector": return { value: "" };
      case "institution": return { value: first("institution") };
      case "lifecycle_stage": return { value: first("lifecycle_stage") };
      // A condition without a value to pick: the person is a digimentor, or (with "not") isn't.
      case "digimentor": return { value: true };
      case "organisation":
        return { group: group("all", [{ type: "cond", key: "field", not: false,
          field: "customer_type", op: "=", value: "public_organisation" }], true) };
      default: return { value: "" };
    }
  }

  function newCondition(key = "consent") {
    return { type: "cond", key, not: false, ...defaults(key) };
  }

  // Rows -> page ------------------------------------------------------------------------
  let model = null;
  let counter = 0;

  function el(tag, className, ...children) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    node.append(...children);
    return node;
  }

  function labelled(control, text) {
    control.setAttribute("aria-label", text);
    control.title = text;
    return control;
  }

  function select(options, value, label, onChange) {
    const node = options instanceof HTMLSelectElement ? options : el("select");
    if (!(options instanceof HTMLSelectElement)) {
      for (const [v, text] of options) node.append(new Option(text, v));
    }
    node.value = value;
    node.addEventListener("change", () => onChange(node.value));
    return labelled(node, label);
  }

  function input(type, value, label, onChange, parse = (v) => v) {
    const node = el("input");
    node.type = type;
    if (type === "number") node.step = "1";
    node.value = value === undefined || value === null ? "" : String(value);
    node.addEventListener("input", () => onChange(parse(node.value)));
    return labelled(node, label);
  }

  const number = (text) => (text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text);

  function notToggle(m) {
    const id = `rule-not-${++counter}`;
    const box = el("input");
    box.type = "checkbox";
    box.id = id;
    box.checked = m.not;
    box.addEventListener("change", () => { m.not = box.checked; changed(); });
    const label = el("label", "choice rule-not", box, " " + T.tNot);
    label.htmlFor = id;
    return label;
  }

  function removeButton(onRemove) {
    const button = el("button", "secondary rule-remove", "×");
    button.type = "button";
    labelled(button, T.tRemove);
    button.addEventListener("click", () => { onRemove(); changed(true); });
    return button;
  }

  function renderGroup(g, onRemove) {
    const box = el("div", "rule-group");
    const head = el("div", "rule-head");
    head.append(select([["all", T.tAll], ["any", T.tAny]], g.op, T.tJoin, (v) => {
      g.op = v;
      g.implicit = false;
      changed();
    }));
    if (onRemove) head.append(notToggle(g), removeButton(onRemove));
    box.append(head);
    const list = el("ol", "rule-items");
    g.items.forEach((item, index) => {
      const drop = () => g.items.splice(index, 1);
      list.append(el("li", "", item.type === "group" ? renderGroup(item, drop) : renderCondition(item, drop)));
    });
    box.append(list);
    const addCondition = el("button", "secondary", "+ " + T.tAddCondition);
    addCondition.type = "button";
    addCondition.addEventListener("click", () => { g.items.push(newCondition()); changed(true); });
    const addGroup = el("button", "secondary", "+ " + T.tAddGroup);
    addGroup.type = "button";
    addGroup.addEventListener("click", () => {
      g.items.push(group(g.op === "all" ? "any" : "all", [newCondition()]));
      changed(true);
    });
    box.append(el("div", "rule-actions", addCondition, addGroup));
    return box;
  }

  function renderCondition(c, onRemove) {
    const row = el("div", "rule-row");
    const kind = select(proto("condition"), c.key, T.tCondition, (key) => {
      for (const name of Object.keys(c)) if (!["type", "not"].includes(name)) delete c[name];
      Object.assign(c, { key }, defaults(key));
      changed(true);
    });
    row.append(notToggle(c), kind, ...valueControls(c), removeButton(onRemove));
    if (c.key === "organisation") {
      row.classList.add("rule-organisation");
      row.append(el("p", "muted rule-help", T.tOrganisation), renderGroup(c.group, null));
    }
    return row;
  }

  function windowControls(c) {
    const w = c.value;
    return [
      input("number", w.at_least, T.tAtLeast, (v) => { w.at_least = v; changed(); }, number),
      input("number", w.days, T.tDays, (v) => { w.days = v; changed(); }, number),
    ];
  }

  function valueControls(c) {
    const set = (v) => { c.value = v; changed(); };
    switch (c.key) {
      case "field": return compareControls(c);
      case "consent": case "institution": case "lifecycle_stage":
        return [select(proto(c.key), c.value, T.tValue, set)];
      case "webinars_attended": return windowControls(c);
      case "touchpoints":
        return [select(proto("kind"), c.value.kind, T.tValue, (v) => { c.value.kind = v; changed(); }),
          ...windowControls(c)];
      case "purchased_within_days": return [input("number", c.value, T.tDays, set, number)];
      case "sector": return [input("text", c.value, T.tValue, set)];
      default: return [];
    }
  }

  function compareControls(c) {
    const type = FIELD_TYPE[c.field] || "text";
    const numeric = type === "number" || type === "integer";
    const field = select(proto("field"), c.field, T.tField, (name) => {
      c.field = name;
      const newType = FIELD_TYPE[name];
      const ordered = ["<", "<=", ">", ">="].includes(c.op);
      if (newType === "text" && ordered) c.op = "=";
      c.value = FIELD_VALUES[name] ? proto(`values-${name}`).options[0].value
        : newType === "number" || newType === "integer" ? 0 : "";
      if (["in", "not_in"].includes(c.op)) c.value = [c.value];
      changed(true);
    });
    const ops = proto("ops");
    if (type === "text") for (const o of [...ops.options]) if (o.dataset.ordered) o.remove();
    const op = select(ops, c.op, T.tOperator, (value) => {
      const list = ["in", "not_in"].includes(value);
      if (list && !Array.isArray(c.value)) c.value = c.value === "" ? [] : [c.value];
      if (!list && Array.isArray(c.value)) c.value = c.value.length ? c.value[0] : "";
      c.op = value;
      changed(true);
    });
    let value;
    if (["in", "not_in"].includes(c.op)) {
      const shown = Array.isArray(c.value) ? c.value.join("; ") : String(c.value ?? "");
      value = input("text", shown, T.tValues, (text) => {
        c.value = text.split(";").map((part) => part.trim()).filter((part) => part !== "")
          .map((part) => (numeric ? number(part) : part));
        changed();
      });
    } else if (FIELD_VALUES[c.field]) {
      value = select(proto(`values-${c.field}`), c.value, T.tValue, (v) => { c.value = v; changed(); });
    } else {
      value = input(numeric ? "number" : "text", c.value, T.tValue, (v) => { c.value = v; changed(); },
        numeric ? number : (v) => v);
      if (type === "number") value.step = "any";
      if (type === "datetime") value.placeholder = "2025-01-01T00:00:00+02:00";
    }
    return [field, op, value];
  }

  // Syncing -----------------------------------------------------------------------------
  function changed(rerender = false) {
    textarea.value = JSON.stringify(toJson(model), null, 2);
    textarea.dispatchEvent(new Event("input"));
    if (rerender) render();
  }

  function render() {
    rows.replaceChildren(renderGroup(model, null));
  }

  function load() {
    let json;
    try {
      json = JSON.parse(textarea.value);
      model = rootOf(json);
    } catch (error) {
      // JSON that does not parse, or a shape the rows cannot show: the JSON editor has it.
      model = null;
      rows.replaceChildren();
      note.textContent = T.tUnsupported;
      details.open = true;
      return;
    }
    note.textContent = "";
    render();
  }

  root.hidden = false;
  load();
  if (model !== null && !textarea.getAttribute("aria-invalid")) details.open = false;
  textarea.addEventListener("change", load);
})();
