"""Read a PDF as a user reads it: the text of each page (poppler's pdftotext), in reading layout."""
from __future__ import annotations

import subprocess
from pathlib import Path


def pdf_pages(content: bytes, directory: Path, layout: bool = False) -> list[str]:
    """Return the text of every page of the PDF ``content`` (``layout`` keeps table rows on one line)."""
    pdf = directory / "document.pdf"
    pdf.write_bytes(content)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    extra = ["-layout"] if layout else []
    return [subprocess.run(["pdftotext", "-enc", "UTF-8", *extra, "-f", str(n), "-l", str(n), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout for n in range(1, count + 1)]
