"""The service: FastAPI app, persistence, job queue, web pages and the `ridealong` CLI."""

__all__ = ["create_app"]


def create_app(*args, **kwargs):
    """Build the FastAPI app (imported lazily so `import api` stays cheap)."""
    from api.app import create_app as _create_app

    return _create_app(*args, **kwargs)
