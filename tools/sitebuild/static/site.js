// The site's script: draws the Mermaid diagrams as SVG (mermaid from this site) and runs the search.
(function () {
  "use strict";
  const assets = new URL(".", document.currentScript.src);

  async function drawDiagrams() {
    const blocks = document.querySelectorAll(".jp-Mermaid > pre.mermaid");
    if (!blocks.length) {
      return;
    }
    const mermaid = (await import(new URL("mermaid/mermaid.esm.min.mjs", assets))).default;
    mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "default" });
    let n = 0;
    for (const pre of blocks) {
      const holder = pre.parentNode;
      try {
        const { svg } = await mermaid.render(`site-mermaid-${n++}`, pre.textContent.trim());
        const figure = document.createElement("figure");
        figure.className = "site-diagram";
        figure.innerHTML = svg;
        naturalSize(figure.querySelector("svg"));
        holder.appendChild(figure);
        holder.classList.add("jp-RenderedMermaid");
      } catch (error) {
        holder.classList.add("site-mermaid-error");
        const message = document.createElement("p");
        message.textContent = `This diagram could not be drawn: ${error}`;
        holder.appendChild(message);
      }
    }
    markScrollers();
    document.body.dataset.diagrams = "drawn";
  }

  // Mermaid draws a diagram as wide as its box, so a phone shrinks its text to a few pixels: keep
  // the size it was drawn at, and let its box scroll instead.
  function naturalSize(svg) {
    const box = svg && svg.viewBox && svg.viewBox.baseVal;
    if (!box || !box.width) {
      return;
    }
    svg.setAttribute("width", String(Math.ceil(box.width)));
    svg.setAttribute("height", String(Math.ceil(box.height)));
    svg.style.maxWidth = "none";
  }

  // A box that scrolls sideways takes the keyboard's focus, so it can be scrolled without a mouse.
  function markScrollers() {
    for (const box of document.querySelectorAll("main *")) {
      const overflowX = getComputedStyle(box).overflowX;
      const overflows = box.scrollWidth > box.clientWidth + 1 && (overflowX === "auto" || overflowX === "scroll");
      if (overflows && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.dataset.scrolls = "";
      } else if (!overflows && "scrolls" in box.dataset) {
        box.removeAttribute("tabindex");
        delete box.dataset.scrolls;
      }
    }
  }

  function snippet(text, terms) {
    const lower = text.toLowerCase();
    const at = Math.max(0, lower.indexOf(terms[0]) - 60);
    return (at ? "…" : "") + text.slice(at, at + 220) + (text.length > at + 220 ? "…" : "");
  }

  function search() {
    const results = document.getElementById("search-results");
    if (!results || !window.SMS_COOKIES_SEARCH) {
      return;
    }
    const query = new URLSearchParams(location.search).get("q") || "";
    for (const box of document.querySelectorAll('input[name="q"]')) {
      box.value = query;  // the query stays where the reader typed it
    }
    const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!terms.length) {
      return;
    }
    const found = [];
    for (const entry of window.SMS_COOKIES_SEARCH) {
      const title = entry.title.toLowerCase();
      const text = entry.text.toLowerCase();
      if (terms.every((t) => title.includes(t) || text.includes(t))) {
        const score = terms.reduce((s, t) => s + (title.includes(t) ? 10 : 0) + text.split(t).length - 1, 0);
        found.push([score, entry]);
      }
    }
    found.sort((a, b) => b[0] - a[0]);
    document.getElementById("search-summary").textContent =
      `${found.length} section${found.length === 1 ? "" : "s"} found for “${query}”.`;
    for (const [, entry] of found.slice(0, 50)) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = entry.url;
      link.textContent = `${entry.page} › ${entry.title}`;
      const text = document.createElement("p");
      text.textContent = snippet(entry.text, terms);
      item.append(link, text);
      results.appendChild(item);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    search();
    markScrollers();
    let pending = 0;
    window.addEventListener("resize", () => {
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(markScrollers);
    });
    drawDiagrams().catch((error) => console.error(error));
  });
})();
