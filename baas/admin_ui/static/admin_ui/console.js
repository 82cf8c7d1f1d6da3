/* baas console: small behaviours on top of server-rendered pages and htmx. No build step. */
(function () {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  // Phones: the collection list and account box start folded under the top navigation.
  document.addEventListener("DOMContentLoaded", () => {
    const more = $(".side-more");
    if (more && window.matchMedia("(max-width: 800px)").matches) more.open = false;
  });

  // Sidebar: filter the collection list as you type.
  document.addEventListener("input", (e) => {
    const input = e.target.closest("[data-filter-list]");
    if (!input) return;
    const q = input.value.trim().toLowerCase();
    $$("a[data-name]", $(input.dataset.filterList)).forEach((a) => {
      a.hidden = q !== "" && !a.dataset.name.includes(q);
    });
  });

  document.addEventListener("click", (e) => {
    const t = e.target;
    // Field cards: reorder and remove (order of the hidden "f" inputs = field order).
    const move = t.closest("[data-move]");
    if (move) {
      const card = move.closest(".fieldcard");
      const sibling = move.dataset.move === "up" ? card.previousElementSibling : card.nextElementSibling;
      if (sibling) {
        move.dataset.move === "up" ? sibling.before(card) : sibling.after(card);
        move.focus();
      }
      return;
    }
    const remove = t.closest("[data-remove]");
    if (remove) {
      const card = remove.closest(".fieldcard");
      const flag = $("[data-removed]", card);
      const isNew = card.dataset.card.startsWith("new");
      if (isNew) { card.remove(); return; }
      const removed = flag.value !== "1";
      flag.value = removed ? "1" : "0";
      card.classList.toggle("removed", removed);
      remove.textContent = removed ? "Undo remove" : "Remove";
      return;
    }
    // Relation picker.
    const pick = t.closest("[data-pick]");
    if (pick) {
      const picker = pick.closest("[data-relpicker]");
      const picked = $("[data-picked]", picker);
      if (picker.dataset.multi !== "1") picked.innerHTML = "";
      if (!$(`[data-id="${CSS.escape(pick.dataset.pick)}"]`, picked)) {
        const chip = document.createElement("span");
        chip.className = "chip";
        chip.dataset.id = pick.dataset.pick;
        const hidden = document.createElement("input");
        hidden.type = "hidden"; hidden.name = picker.dataset.name; hidden.value = pick.dataset.pick;
        const x = document.createElement("button");
        x.type = "button"; x.className = "link"; x.dataset.unpick = ""; x.textContent = "×";
        x.setAttribute("aria-label", "Remove " + pick.dataset.label);
        chip.append(hidden, document.createTextNode(pick.dataset.label + " "), x);
        picked.append(chip);
      }
      return;
    }
    const unpick = t.closest("[data-unpick]");
    if (unpick) { unpick.closest(".chip").remove(); return; }
    // Copy buttons.
    const copy = t.closest("[data-copy]");
    if (copy) {
      const text = $(copy.dataset.copy).textContent;
      navigator.clipboard && navigator.clipboard.writeText(text);
      copy.textContent = "Copied";
      setTimeout(() => (copy.textContent = "Copy"), 1500);
      return;
    }
    // Records table: choose columns.
    const cols = t.closest("[data-apply-cols]");
    if (cols) {
      const url = new URL(location.href);
      url.searchParams.delete("col");
      $$("[data-colpick]:checked").forEach((c) => url.searchParams.append("col", c.value));
      location.href = url.toString();
    }
  });

  document.addEventListener("change", (e) => {
    const t = e.target;
    if (t.matches("[data-lock]")) {
      const area = $(t.dataset.lock);
      area.disabled = t.checked;
    }
    if (t.matches("[data-select-all]")) {
      $$("input[name=ids]", t.closest("form")).forEach((c) => (c.checked = t.checked));
    }
    if (t.matches("input[name=ids], [data-select-all]")) {
      const form = t.closest("form");
      const n = $$("input[name=ids]:checked", form).length;
      const button = $("[data-bulk-button]", form);
      button.disabled = n === 0;
      button.textContent = n ? `Delete ${n} selected` : "Delete selected";
    }
    if (t.matches("[data-preview]")) {
      const box = t.parentElement.querySelector("[data-previews]");
      box.innerHTML = "";
      Array.from(t.files).forEach((file) => {
        if (file.type.startsWith("image/")) {
          const img = document.createElement("img");
          img.className = "thumb"; img.style.width = img.style.height = "64px";
          img.alt = file.name; img.src = URL.createObjectURL(file);
          box.append(img);
        } else {
          const chip = document.createElement("span");
          chip.className = "chip"; chip.textContent = file.name;
          box.append(chip);
        }
      });
    }
  });

  // Columns menu: enable its checkboxes only while open (so they don't ride along the filter form).
  document.addEventListener("toggle", (e) => {
    if (e.target.matches && e.target.matches("details")) {
      $$("[data-colpick]", e.target).forEach((c) => (c.disabled = !e.target.open));
    }
  }, true);

  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (form.matches("[data-confirm]") && !confirm(form.dataset.confirm)) e.preventDefault();
    if (form.matches("[data-confirm-bulk]")) {
      const n = $$("input[name=ids]:checked", form).length;
      if (!n || !confirm(`Delete ${n} record${n === 1 ? "" : "s"}? This cannot be undone.`)) e.preventDefault();
    }
  });

  // JSON fields: say whether the text parses, as you type.
  document.addEventListener("input", (e) => {
    const area = e.target.closest("[data-json]");
    if (!area) return;
    const state = area.parentElement.querySelector("[data-json-state]");
    if (!area.value.trim()) { state.textContent = "empty = null"; area.removeAttribute("aria-invalid"); return; }
    try { JSON.parse(area.value); state.textContent = "✓ valid JSON"; area.removeAttribute("aria-invalid"); }
    catch (err) { state.textContent = "✗ " + err.message; area.setAttribute("aria-invalid", "true"); }
  });

  // Field-name autocompletion for rules and filters.
  let box = null, items = [], active = -1, target = null;
  function words(el) {
    const holder = el.closest("[data-suggestions]");
    try { return JSON.parse((el.dataset.suggestions || (holder && holder.dataset.suggestions)) || "[]"); }
    catch (err) { return []; }
  }
  function liveNames(el) {
    // New field names typed in the editor count too.
    return $$(".fieldcard:not(.removed) input.name").map((i) => i.value.trim()).filter(Boolean);
  }
  function token(el) {
    const upto = el.value.slice(0, el.selectionStart);
    const m = upto.match(/[@A-Za-z0-9_.:]*$/);
    return m ? m[0] : "";
  }
  function close() { if (box) box.remove(); box = null; items = []; active = -1; }
  function render(el) {
    const tok = token(el);
    if (tok.length < 1) return close();
    const all = Array.from(new Set([...liveNames(el), ...words(el)]));
    items = all.filter((w) => w.toLowerCase().startsWith(tok.toLowerCase()) && w !== tok).slice(0, 12);
    if (!items.length) return close();
    if (!box) {
      box = document.createElement("div");
      box.className = "suggest"; box.setAttribute("role", "listbox"); box.id = "suggest-box";
      el.parentElement.classList.add("rel");
      el.after(box);
    }
    el.setAttribute("aria-controls", "suggest-box");
    active = 0;
    box.innerHTML = "";
    items.forEach((w, i) => {
      const opt = document.createElement("div");
      opt.setAttribute("role", "option"); opt.textContent = w;
      opt.setAttribute("aria-selected", i === active ? "true" : "false");
      opt.addEventListener("mousedown", (ev) => { ev.preventDefault(); accept(el, w); });
      box.append(opt);
    });
  }
  function accept(el, word) {
    const tok = token(el);
    const start = el.selectionStart - tok.length;
    el.value = el.value.slice(0, start) + word + el.value.slice(el.selectionStart);
    const pos = start + word.length;
    el.setSelectionRange(pos, pos);
    close();
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }
  document.addEventListener("input", (e) => {
    if (e.target.matches(".rule-input") && e.isTrusted) { target = e.target; render(e.target); }
  });
  document.addEventListener("keydown", (e) => {
    if (!box || e.target !== target) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      $$("[role=option]", box).forEach((o, i) => o.setAttribute("aria-selected", i === active ? "true" : "false"));
    } else if ((e.key === "Enter" || e.key === "Tab") && active >= 0) {
      e.preventDefault(); accept(target, items[active]);
    } else if (e.key === "Escape") { close(); }
  });
  document.addEventListener("focusout", (e) => { if (e.target === target) setTimeout(close, 100); });
})();
