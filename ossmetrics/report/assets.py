"""The static assets every site carries: CSS, our JavaScript, and the Vega runtime.

The Vega, Vega-Lite and Vega-Embed libraries (BSD-3-Clause, with their ISC/BSD dependencies)
are shipped once as ``reports/assets/vendor/vega-bundle.js`` so the pages work from ``file://``
with the network off: no CDN anywhere. The file is the bundle ``vl-convert-python`` builds
(``vl_convert.javascript_bundle``), wrapped in a function scope so its top-level names cannot
clash with the page's own scripts; ``write_vega_bundle`` regenerates it when the pinned
versions change.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ossmetrics.resources import reports_dir

__all__ = ["VEGA_LITE_VERSION", "copy_assets", "vega_bundle_path", "write_vega_bundle"]

VEGA_LITE_VERSION = "6.4"
BUNDLE = "vega-bundle.js"


def vega_bundle_path() -> Path:
    return reports_dir() / "assets" / "vendor" / BUNDLE


def write_vega_bundle(target: Path | None = None) -> Path:
    """(Re)build the offline Vega runtime from the installed vl-convert package."""
    import vl_convert as vlc

    target = target or vega_bundle_path()
    code = vlc.javascript_bundle(None, vl_version=VEGA_LITE_VERSION)  # type: ignore[arg-type]
    header = (
        "/* Vega "
        + vlc.get_vega_version()
        + ", Vega-Lite "
        + VEGA_LITE_VERSION
        + ", Vega-Embed "
        + vlc.get_vega_embed_version()
        + " — BSD-3-Clause, see LICENSES.txt. Bundled by vl-convert-python. */\n"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(header + "(function(){\n" + code + "\n})();\n", encoding="utf-8")
    return target


def copy_assets(site: Path) -> Path:
    """Copy reports/assets into ``site``/assets (building the Vega runtime if it is missing)."""
    src = reports_dir() / "assets"
    if not vega_bundle_path().exists():
        write_vega_bundle()
    dest = site / "assets"
    shutil.copytree(src, dest, dirs_exist_ok=True)
    return dest


if __name__ == "__main__":
    print(write_vega_bundle())
