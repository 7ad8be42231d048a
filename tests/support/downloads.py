"""What one learner's browser downloads: every response and its bytes on the wire, as Chromium counts them.

Chromium's DevTools protocol reports each response's encoded length (headers and body as they
crossed the network, after compression), so the figures are the browser's own, not the server's.
"""

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from tests.support.lite import kernel_status


@dataclass
class Download:
    """One response the page received."""

    path: str
    status: int
    wire_bytes: int
    encoding: str
    accept_encoding: str


class Recorder:
    """Every response the browser receives from the site (the page's and its workers'), with its bytes."""

    def __init__(self, context, site_url):
        self.context = context
        self.site = site_url
        self.downloads = []
        context.on("requestfinished", self._finished)

    def close(self):
        """Stop recording."""
        self.context.remove_listener("requestfinished", self._finished)

    def _finished(self, request):
        if not request.url.startswith(self.site):
            return
        response = request.response()
        if response is not None and response.from_service_worker:
            return  # answered inside the browser: if the worker fetched it, that fetch is recorded
        sizes = request.sizes()
        headers = response.headers if response else {}
        self.downloads.append(
            Download(
                path=urlsplit(request.url).path,
                status=response.status if response else 0,
                wire_bytes=sizes["responseHeadersSize"] + sizes["responseBodySize"],
                encoding=headers.get("content-encoding", ""),
                accept_encoding=request.all_headers().get("accept-encoding", ""),
            )
        )

    def take(self):
        """The downloads recorded so far, and start a new list."""
        taken, self.downloads = self.downloads, []
        return taken


def wait_until_kernel_ready(page, timeout=240):
    """Wait for the notebook's kernel to say Idle in the status bar, then for the network to settle."""
    deadline = time.monotonic() + timeout
    page.wait_for_selector(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell", timeout=timeout * 1000
    )
    while kernel_status(page) != "idle":
        if time.monotonic() > deadline:
            raise TimeoutError(f"the kernel was not idle after {timeout} s")
        page.wait_for_timeout(250)
    page.wait_for_load_state("networkidle")


def first_visit_and_reload(context, site_url, notebook):
    """(first visit, reload) downloads of "Run in your browser" for notebook, each until the kernel is ready."""
    page = context.new_page()
    origin = site_url.rstrip("/")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.clearBrowserCache")
    cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
    recorder = Recorder(context, site_url)
    try:
        page.goto(f"{site_url}lite/lab/index.html?path={notebook}")
        wait_until_kernel_ready(page)
        first = recorder.take()
        page.reload()
        wait_until_kernel_ready(page)
        return first, recorder.take()
    finally:
        recorder.close()
        page.close(run_before_unload=False)


def total(downloads):
    """Bytes on the wire for a list of downloads."""
    return sum(d.wire_bytes for d in downloads)
