"""The built website, as a reader sees it, in headless Chromium.

Every page in ``_toc.yml`` is loaded from a local server. Each must load with
no missing files and no script errors; every figure must be present and not
blank; no page may show a traceback or error output; and every demo's slider
must change the picture without a kernel. A full-page screenshot of each page
is saved under ``_build/screenshots/`` for a person to look at.

Run with ``make sitetest`` after ``make book``. Where no Chromium is installed
the tests skip with instructions, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [c["file"] for p in toc.get("parts", []) for c in p.get("chapters", [])]
    return [f"{f}.html" for f in files]


PAGES = _pages()
CHAPTERS = [p for p in PAGES if p.startswith("notebooks/")]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail("no built site in _build/html: run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        message = (
            "no Chromium found: install it (Debian/Ubuntu: `sudo apt-get install chromium`) "
            "to run the site test"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


def _open(browser, server, page_path):
    page = browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"script error: {err}"))

    def on_response(response):
        if response.url.startswith(server) and response.status >= 400:
            problems.append(f"HTTP {response.status} for {response.url}")

    page.on("response", on_response)
    # The reader may be offline: requests that leave this machine are refused,
    # so the test sees what such a reader sees and never touches the network.
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(server) else route.abort(),
    )
    response = page.goto(f"{server}/{page_path}", wait_until="load")
    assert response is not None and response.ok, f"{page_path} did not load"
    return page, problems


# Draws each image onto a canvas and returns its size and the spread of its pixels.
IMAGE_STATS_JS = """
() => Array.from(document.querySelectorAll('article img')).map(img => {
  const out = {src: img.currentSrc.slice(0, 80), complete: img.complete, w: img.naturalWidth,
               h: img.naturalHeight, std: 0};
  if (!img.complete || img.naturalWidth === 0) return out;
  const c = document.createElement('canvas');
  c.width = Math.min(img.naturalWidth, 400); c.height = Math.min(img.naturalHeight, 400);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0, c.width, c.height);
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let n = 0, s = 0, s2 = 0;
  for (let i = 0; i < d.length; i += 16) {
    const v = (d[i] + d[i + 1] + d[i + 2]) / 3; n++; s += v; s2 += v * v;
  }
  out.std = Math.sqrt(Math.max(s2 / n - (s / n) ** 2, 0));
  return out;
})
"""


@pytest.mark.parametrize("page_path", PAGES)
def test_page_loads_cleanly_with_real_figures(browser, server, page_path):
    page, problems = _open(browser, server, page_path)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(SHOTS / (page_path.replace("/", "__").replace(".html", ".png"))), full_page=True
    )
    images = page.evaluate(IMAGE_STATS_JS)
    page.close()
    assert not problems, problems
    for image in images:
        assert image["complete"] and image["w"] > 0, f"missing image on {page_path}: {image}"
        assert image["std"] > 2.0, f"blank image on {page_path}: {image}"
    if page_path in CHAPTERS:
        assert len(images) >= 3, f"a chapter shows its figures; {page_path} has {len(images)}"


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_chapter_shows_no_error_output(browser, server, page_path):
    page, _ = _open(browser, server, page_path)
    selector = "article .output.error, article .output.traceback, article .output.stderr"
    n_errors = page.locator(selector).count()
    text = page.locator("article").inner_text()
    page.close()
    assert n_errors == 0, f"{page_path} shows error or stderr output"
    assert "Traceback (most recent call last)" not in text
    assert "Error" not in [line.split(":")[0].strip() for line in text.splitlines()]


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_demo_slider_works_without_a_kernel(browser, server, page_path):
    page, problems = _open(browser, server, page_path)
    demo = page.locator(".hinton-demo")
    assert demo.count() >= 1, f"{page_path} has no interactive demo"
    slider = demo.first.locator("input[type=range]")
    frame = demo.first.locator("img").first
    before = frame.get_attribute("src")
    last = slider.get_attribute("max")
    slider.evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", last)
    after = frame.get_attribute("src")
    page.close()
    assert not problems, problems
    assert before != after, f"the demo slider on {page_path} does not change the picture"
