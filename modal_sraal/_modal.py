"""modAL is installed apart from this package (its metadata pins a skorch
that no longer imports); say how when it is missing."""

INSTALL_HINT = (
    "modal_sraal needs modAL, which must be installed without its dependencies "
    "(modAL-python 0.4.2.1 pins skorch==0.9.0, which fails to import on current "
    "Python):\n    pip install --no-deps modAL-python==0.4.2.1\n"
    "or run `make install` in the modal_sraal repository."
)

try:
    import modAL  # noqa: F401
    from modAL.models import ActiveLearner  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(f"{exc}. {INSTALL_HINT}") from exc
