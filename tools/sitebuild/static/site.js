// The site's script: draws the Mermaid diagrams as SVG (mermaid from this site) and runs the search.
(function () {
  "use strict";
  const assets = new URL(".", document.currentScript.src);

  // Diagrams are drawn as they come near the screen, one task each, so a long notebook's page is
  // ready to read at once; when every diagram is drawn, <body data-diagrams="drawn">.
  let mermaidReady = null;
  let n = 0;

  async function drawDiagram(pre) {
    if (!mermaidReady) {
      mermaidReady = import(new URL("mermaid/mermaid.esm.min.mjs", assets)).then((module) => {
        module.default.initialize({ startOnLoad: false, securityLevel: "strict", theme: "default" });
        return module.default;
      });
    }
    const mermaid = await mermaidReady;
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

  function drawDiagrams() {
    const blocks = [...document.querySelectorAll(".jp-Mermaid > pre.mermaid")];
    if (!blocks.length) {
      return;
    }
    let left = blocks.length;
    let queue = Promise.resolve();
    const draw = (pre) => {
      queue = queue
        .then(() => new Promise((resolve) => setTimeout(resolve))) // one diagram per task
        .then(() => drawDiagram(pre))
        .then(() => {
          markScrollers();
          if (--left === 0) {
            document.body.dataset.diagrams = "drawn";
          }
        })
        .catch((error) => console.error(error));
    };
    if (!("IntersectionObserver" in window)) {
      blocks.forEach(draw);
      return;
    }
    const near = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          if (entry.isIntersecting) {
            near.unobserve(entry.target);
            draw(entry.target);
          }
        }
      },
      { rootMargin: "600px 0px" },
    );
    blocks.forEach((pre) => near.observe(pre));
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
  const SCROLLERS = ".site-scroll, .site-diagram, pre, .highlight, .jp-OutputArea-output, " +
    ".jp-RenderedHTMLCommon, .jp-RenderedMarkdown";
  function markScrollers() {
    for (const box of document.querySelectorAll(`main :is(${SCROLLERS})`)) {
      const wide = box.scrollWidth > box.clientWidth + 1;
      const scrolls = wide && ["auto", "scroll"].includes(getComputedStyle(box).overflowX);
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.dataset.scrolls = "";
      } else if (!scrolls && "scrolls" in box.dataset) {
        box.removeAttribute("tabindex");
        delete box.dataset.scrolls;
      }
    }
  }

  // "Run in your browser" opens one notebook in JupyterLite, which would also reopen every notebook
  // opened before in this browser, each starting a Python of its own, so that every start is
  // slower than the last. Before going there, forget which notebooks were open (the notebooks and
  // the learner's changes stay): only the one asked for opens, with one kernel.
  function forgetOpenNotebooks(liteUrl) {
    const name = `JupyterLite Storage - ${new URL("../", liteUrl).pathname}`;
    const forget = new Promise((resolve) => {
      const request = indexedDB.open(name);
      request.onupgradeneeded = () => request.transaction.abort(); // never opened: nothing to do
      request.onerror = () => resolve();
      request.onsuccess = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains("statedb")) {
          db.close();
          resolve();
          return;
        }
        const done = () => {
          db.close();
          resolve();
        };
        const tx = db.transaction("statedb", "readwrite");
        tx.oncomplete = tx.onerror = tx.onabort = done;
        tx.objectStore("statedb").openCursor().onsuccess = (event) => {
          const cursor = event.target.result;
          if (!cursor) {
            return;
          }
          const workspace = cursor.value;
          const data = workspace && workspace.data;
          if (data) {
            for (const key of Object.keys(data)) {
              if (/^(notebook|editor|console):/.test(key)) {
                delete data[key];
              }
            }
            if (data["layout-restorer:data"]) {
              delete data["layout-restorer:data"].main;
            }
            cursor.update(workspace);
          }
          cursor.continue();
        };
      };
    });
    return Promise.race([forget, new Promise((resolve) => setTimeout(resolve, 1500))]);
  }

  function openOneNotebook(event) {
    const link = event.target.closest && event.target.closest('a[href*="lite/lab/index.html?path="]');
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    forgetOpenNotebooks(link.href)
      .catch(() => undefined)
      .then(() => location.assign(link.href));
  }

  function snippet(text, terms) {
    const lower = text.toLowerCase();
    let at = Math.max(0, lower.indexOf(terms[0]) - 60);
    if (at) {
      at = text.indexOf(" ", at) + 1 || at; // start at a word
    }
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

  document.addEventListener("click", openOneNotebook);

  document.addEventListener("DOMContentLoaded", () => {
    search();
    drawDiagrams();
    markScrollers();
    let pending = 0;
    window.addEventListener("resize", () => {
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(markScrollers);
    });
  });
})();
