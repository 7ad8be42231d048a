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
        holder.appendChild(figure);
        holder.classList.add("jp-RenderedMermaid");
      } catch (error) {
        holder.classList.add("site-mermaid-error");
        const message = document.createElement("p");
        message.textContent = `This diagram could not be drawn: ${error}`;
        holder.appendChild(message);
      }
    }
    document.body.dataset.diagrams = "drawn";
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
    document.getElementById("search-query").value = query;
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
    drawDiagrams().catch((error) => console.error(error));
  });
})();
