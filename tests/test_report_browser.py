"""``gradmle report`` in a real browser: headless Chromium, driven by playwright, opens
each report from its file (a converged fit with its diagnostic pictures, a diverged fit
with its diagnosis, a selection) and must

- fetch nothing: the only request is the file itself (pictures are data: URIs), none fails;
- log no console error or warning and raise no page error;
- render in standards mode, and as strict XHTML too (the same bytes named .xhtml);
- decode and paint every picture (``complete``, ``naturalWidth > 0``, and the painted
  pixels of each not all one colour);
- give a full-page screenshot that is not blank, with no horizontal overflow at the
  width of a laptop screen nor of a phone (a wide table scrolls in its own box).

The browser is the system's Chromium (``chromium``, ``chromium-browser``,
``google-chrome``, or the path in ``GRADMLE_CHROMIUM``). Without one the tests are
skipped, unless ``GRADMLE_BROWSER_TESTS=1`` (as CI sets it), where a missing browser
is a failure.
"""

import contextlib
import io
import os
import shutil

import numpy as np
import pytest

from gradmle.cli import main

WIDE, NARROW = 1200, 420
#: A report is words on white with pictures: a blank page would be all white. The
#: reports here have at least two pictures each, a few hundred pixels on a side (4-5%
#: of their pixels are not white).
MIN_INK = 0.02


def _chromium():
    """The Chromium executable, or None and why."""
    given = os.environ.get("GRADMLE_CHROMIUM")
    if given:
        return (given, "") if os.access(given, os.X_OK) else (None, f"GRADMLE_CHROMIUM={given} is not an executable")
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found, ""
    return None, "no Chromium found (chromium, chromium-browser or google-chrome on the PATH, or GRADMLE_CHROMIUM)"


def _unavailable(why: str):
    if os.environ.get("GRADMLE_BROWSER_TESTS") == "1":
        pytest.fail(f"GRADMLE_BROWSER_TESTS=1 but {why}", pytrace=False)
    pytest.skip(f"{why}; install Chromium (Debian: apt-get install chromium) to check the report in a browser")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the python package playwright is not installed (it is in the test extra)")
    exe, why = _chromium()
    if exe is None:
        _unavailable(why)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True)
        try:
            yield b
        finally:
            b.close()


def _gradmle(*args) -> int:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        return main([str(a) for a in args])


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """name -> (path of the report, exit status of gradmle report)."""
    folder = tmp_path_factory.mktemp("reports")
    data = folder / "x.csv"
    x = np.random.default_rng(2718).gamma(3.0, 2.0, 300)
    data.write_text("value\n" + "".join(f"{float(v)!r}\n" for v in x))
    runs = {
        "fit": ("--family", "gamma"),
        "diverged": ("--method", "gradient", "--step", "0.5", "--init", "mu=-1,sigma=0.05", "--max-iter", "50"),
        "select": ("--select", "--families", "gamma,lognormal,weibull"),
    }
    out = {}
    for name, opts in runs.items():
        path = folder / f"{name}.html"
        out[name] = (path, _gradmle("report", data, *opts, "--quiet", "--out", path))
    return out


def _open(browser, path, width):
    """Load ``path`` in a fresh page of ``width`` CSS pixels; returns the page and what
    it logged, requested and failed to load."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    seen = {"console": [], "errors": [], "requests": [], "failed": []}
    page.on("console", lambda m: seen["console"].append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("requestfailed", lambda r: seen["failed"].append(f"{r.url}: {r.failure}"))
    page.goto(path.as_uri(), wait_until="load")
    return page, seen


def _check_quiet(seen, url):
    assert seen["requests"] == [url], f"the report fetched something: {seen['requests']}"
    assert seen["failed"] == [] and seen["errors"] == []
    assert [m for m in seen["console"] if m.split(":")[0] in ("error", "warning")] == []


def _pixels(png: bytes):
    """A screenshot as an array of RGB values in [0, 1], one row per CSS pixel."""
    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")[..., :3]


def _ink(rgb) -> float:
    """The fraction of pixels that are not (nearly) white."""
    return float(np.mean(rgb.min(axis=2) < 0.9))


@pytest.mark.parametrize("name, status", [("fit", 0), ("diverged", 3), ("select", 0)])
def test_the_report_renders_in_chromium(browser, reports, name, status):
    path, code = reports[name]
    assert code == status
    page, seen = _open(browser, path, WIDE)
    try:
        assert page.evaluate("document.compatMode") == "CSS1Compat"  # standards mode, not quirks
        images = page.evaluate("Array.from(document.images, i => {const r = i.getBoundingClientRect(); "
                               "return [i.alt, i.complete, i.naturalWidth, i.naturalHeight, "
                               "r.left + scrollX, r.top + scrollY, r.width, r.height]})")
        assert len(images) >= 2, images
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= WIDE, f"the page is {width} px wide in a {WIDE} px window"
        shot = _pixels(page.screenshot(full_page=True))
        ink = _ink(shot)
        assert ink > MIN_INK, f"the screenshot is nearly blank ({ink:.1%} of its pixels not white)"
        for alt, complete, w, h, left, top, shown_w, shown_h in images:
            assert complete and w > 50 and h > 50 and shown_w > 50 and shown_h > 50, (alt, complete, w, h)
            # What the browser painted there, not only what it decoded: a picture has
            # lines and labels on white.
            box = shot[round(top):round(top + shown_h), round(left):round(left + shown_w)]
            assert box.shape[0] > 50 and box.shape[1] > 50 and _ink(box) > 0.01, (alt, _ink(box))
        text = page.inner_text("body")
        assert "made by gradmle" in text and "gradmle report" in text
        if name == "diverged":
            assert "diagnosis" in text and "diverged" in text
        _check_quiet(seen, path.as_uri())
    finally:
        page.close()


@pytest.mark.parametrize("name", ["fit", "diverged", "select"])
def test_the_report_is_strict_xhtml_and_fits_a_phone(browser, reports, name, tmp_path):
    path, _ = reports[name]
    strict = tmp_path / f"{name}.xhtml"  # served as application/xhtml+xml: one unclosed tag and it is an error page
    strict.write_bytes(path.read_bytes())
    page, seen = _open(browser, strict, WIDE)
    try:
        assert page.evaluate("document.contentType") == "application/xhtml+xml"
        assert page.evaluate("document.getElementsByTagName('parsererror').length") == 0
        assert page.evaluate("document.images.length") >= 2
        _check_quiet(seen, strict.as_uri())
    finally:
        page.close()
    page, seen = _open(browser, path, NARROW)
    try:
        # Pictures shrink to the width, the command line wraps, and a table wider than
        # the phone scrolls sideways in its own box: the page itself never does.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= NARROW, f"the page is {width} px wide on a {NARROW} px phone"
        for alt, right in page.evaluate("Array.from(document.images, i => [i.alt, i.getBoundingClientRect().right])"):
            assert right <= NARROW, f"{alt} is wider than the phone"
        _check_quiet(seen, path.as_uri())
    finally:
        page.close()
