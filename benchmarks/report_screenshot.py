"""Screenshot a report.html in headless Chromium (the browser test's flags) for docs/report.png.

    .venv/bin/python benchmarks/report_screenshot.py journeymine-demo/report.html docs/report.png

Renders at 0.75 device scale so the PNG stays small (docs/report.png must stay under 300 KB).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--virtual-time-budget=10000",
]


def main(report: str, png: str, width: int = 1400, height: int = 2300, scale: float = 0.75) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["/usr/bin/chromium", *FLAGS, f"--user-data-dir={tmp}",
               f"--window-size={width},{height}", f"--force-device-scale-factor={scale}",
               f"--screenshot={Path(png).resolve()}", Path(report).resolve().as_uri()]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    size = Path(png).stat().st_size
    print(f"{png}: {size / 1024:.0f} KB")
    return 0 if size < 300_000 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
