"""modAL is installed apart from this package (its metadata pins a skorch
that no longer imports); say how when it is missing."""
import importlib.util

INSTALL_HINT = (
    "modal_sraal needs modAL, which must be installed without its dependencies "
    "(modAL-python 0.4.2.1 pins skorch==0.9.0, which fails to import on current "
    "Python):\n    pip install --no-deps modAL-python==0.4.2.1\n"
    "or run `make install` in the modal_sraal repository."
)


def require_modal() -> None:
    """Raise an ``ImportError`` with the install lines when modAL is missing.

    Finds modAL without importing it (importing modAL imports torch, seconds).
    """
    try:
        found = importlib.util.find_spec("modAL") is not None
    except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
        raise ImportError(f"{exc}. {INSTALL_HINT}") from exc
    if not found:
        raise ImportError(f"No module named 'modAL'. {INSTALL_HINT}")
