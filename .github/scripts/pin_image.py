"""Point a release's action.yml at the prebuilt image: `image: Dockerfile` -> `image: docker://REF`.

Used by .github/workflows/release.yml after the image is pushed. Only the one `image:` line under
`runs:` changes, so the rest of the file (comments, inputs) stays byte for byte as reviewed.

    python .github/scripts/pin_image.py action.yml ghcr.io/OWNER/docbot@sha256:DIGEST
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

IMAGE_LINE = re.compile(r"^(  image:[ \t]*)Dockerfile[ \t]*$", re.MULTILINE)
PINNED = re.compile(r"[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}")


def pin(text: str, image: str) -> str:
    """``text`` with its ``image: Dockerfile`` line replaced by the pinned image reference.

    Raises:
        ValueError: ``image`` is not ``REGISTRY/NAME@sha256:<64 hex>``, or the file has no such line.
    """
    if not PINNED.fullmatch(image):
        raise ValueError(f"{image!r} is not an image pinned by digest (REGISTRY/NAME@sha256:<64 hex>)")
    pinned, count = IMAGE_LINE.subn(lambda m: f"{m.group(1)}docker://{image}", text)
    if count != 1:
        raise ValueError(f"expected one `image: Dockerfile` line under runs:, found {count}")
    return pinned


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write(__doc__ or "")
        return 2
    path = Path(argv[0])
    try:
        path.write_text(pin(path.read_text(encoding="utf-8"), argv[1]), encoding="utf-8")
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"pin_image: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
