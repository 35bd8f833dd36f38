// The checks axe lacks (tests/test_accessibility.py injects this file into each page):
// colours are those the browser computed, contrast is WCAG 2's.
window.a11y = (() => {
  const parse = (text) => {
    const m = /rgba?\(([^)]*)\)/.exec(text || "");
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(parseFloat);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const blend = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a),
    a: 1,
  });
  const luminance = ({ r, g, b }) => {
    const c = [r, g, b].map((v) => v / 255).map(
      (v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const ratio = (x, y) => {
    const [hi, lo] = [luminance(x), luminance(y)].sort((a, b) => b - a);
    return (hi + 0.05) / (lo + 0.05);
  };
  const css = ({ r, g, b }) => `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`;
  // What is painted behind `node`: the backgrounds of it and its ancestors, on white.
  const behind = (node) => {
    const layers = [];
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    return layers.reverse().reduce((under, top) => blend(top, under), { r: 255, g: 255, b: 255, a: 1 });
  };
  const describe = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += "#" + el.id;
    else if (el.name) text += `[name=${el.name}]` + (el.type === "radio" ? `[value=${el.value}]` : "");
    const said = ["A", "BUTTON", "SUMMARY"].includes(el.tagName) ? el.innerText : el.getAttribute("aria-label");
    const label = (said || "").replace(/\s+/g, " ").trim().slice(0, 40);
    return label ? `${text} "${label}"` : text;
  };
  const group = (el) => `${el.form ? [...document.forms].indexOf(el.form) : "-"} ${el.type} ${el.name}`;
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";

  // Radio buttons or checkboxes sharing a name: one fieldset of their own, with a legend.
  const groups = () => {
    const found = new Map();
    for (const el of document.querySelectorAll("input[type=radio], input[type=checkbox]")) {
      if (!found.has(group(el))) found.set(group(el), []);
      found.get(group(el)).push(el);
    }
    const problems = [];
    for (const [key, members] of found) {
      if (members.length < 2) continue;
      const name = `${members.length} ${members[0].type}s named "${members[0].name}"`;
      const sets = new Set(members.map((m) => m.closest("fieldset")));
      const set = members[0].closest("fieldset");
      if (!set || sets.size > 1) { problems.push(`${name}: not in one fieldset`); continue; }
      const legend = set.querySelector(":scope > legend");
      const question = legend ? legend.textContent.trim() : "";
      if (!question) { problems.push(`${name}: their fieldset has no legend`); continue; }
      // The nearest fieldset must be the group's own, so its legend is the group's question.
      const others = [...set.querySelectorAll("input:not([type=hidden]), select, textarea")]
        .filter((c) => !members.includes(c));
      if (others.length) problems.push(
        `${name}: their fieldset "${question}" also holds ${others.length} other control(s) ` +
        `(${others.slice(0, 3).map(describe).join(", ")}): its legend is not their question`);
    }
    return problems;
  };

  // Form controls: border or background 3:1 against what is behind them.
  const controls = () => {
    const problems = [];
    for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea, button")) {
      if (!shown(el)) continue;
      const back = behind(el.parentElement);
      let style = getComputedStyle(el);
      if ((el.type === "radio" || el.type === "checkbox") && style.appearance !== "none") {
        // Drawn by Chromium itself, with a rgb(118, 118, 118) ring.
        const ring = ratio({ r: 118, g: 118, b: 118, a: 1 }, back);
        if (ring < 3) problems.push(`${describe(el)}: its ring ${ring.toFixed(2)}:1 against ${css(back)}`);
        continue;
      }
      if (el.type === "file") style = getComputedStyle(el, "::file-selector-button");
      const seen = [];
      for (const side of ["Top", "Right", "Bottom", "Left"]) {
        const colour = parse(style[`border${side}Color`]);
        if (colour && parseFloat(style[`border${side}Width`]) >= 1
            && !["none", "hidden"].includes(style[`border${side}Style`])) {
          seen.push(ratio(blend(colour, back), back));
        }
      }
      const own = parse(style.backgroundColor);
      if (own && own.a > 0) seen.push(ratio(blend(own, back), back));
      const best = Math.max(1, ...seen);
      if (best >= 3) continue;
      // A button drawn as a link (no box, underlined) is known by its text alone.
      if (el.tagName === "BUTTON" && seen.length === 0
          && style.textDecorationLine.includes("underline")) continue;
      problems.push(
        `${describe(el)}: ${best.toFixed(2)}:1 (border ${style.borderTopColor}, ` +
        `background ${style.backgroundColor}, behind it ${css(back)})`);
    }
    return problems;
  };

  // Tab from the top of the page: forget where the focus, or a click, last was.
  const top = () => {
    const start = document.createElement("span");
    start.tabIndex = -1;
    document.body.prepend(start);
    start.focus();
    start.remove();
    scrollTo(0, 0);
  };
  // The element that has the keyboard focus now, marked with its Tab stop's number.
  let stop = 0;
  const focused = () => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const before = el.dataset.a11yStop ? Number(el.dataset.a11yStop) : null;
    if (before === null) el.dataset.a11yStop = String(++stop);
    const problems = [];
    const rect = el.getBoundingClientRect();
    if (!(rect.width >= 1 && rect.height >= 1 && rect.bottom > 0 && rect.right > 0
          && rect.top < innerHeight && rect.left < innerWidth)) problems.push("not on screen");
    const style = getComputedStyle(el);
    if (["none", "hidden", "auto"].includes(style.outlineStyle) || parseFloat(style.outlineWidth) < 2) {
      problems.push(`focus outline "${style.outlineStyle} ${style.outlineWidth}", not a clear one of 2px`);
    } else {
      const back = behind(el.parentElement);
      const seen = ratio(blend(parse(style.outlineColor), back), back);
      if (seen < 3) problems.push(`focus outline ${seen.toFixed(2)}:1 against ${css(back)}`);
    }
    return { stop: before ?? stop, what: describe(el), href: el.getAttribute("href"),
             width: rect.width, height: rect.height, problems };
  };
  // What Tab should have reached and did not (one radio button stands for its group).
  const unreached = () => {
    const reached = new Set([...document.querySelectorAll("input[type=radio][data-a11y-stop]")].map(group));
    return [...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]")]
      .filter((el) => !el.disabled && el.tabIndex >= 0 && shown(el) && !el.dataset.a11yStop)
      .filter((el) => !(el.type === "radio" && reached.has(group(el))))
      .map(describe);
  };
  const skip = () => {
    const link = document.querySelector('body a[href="#main"]');
    if (!link) return null;
    const rect = link.getBoundingClientRect();
    return { width: rect.width, height: rect.height, right: rect.right, bottom: rect.bottom };
  };
  return { groups, controls, top, focused, unreached, skip };
})();
