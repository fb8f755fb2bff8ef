"""ASGI entry point for ``qorgau run`` (uvicorn imports ``qorgau.asgi:app``)."""

from qorgau.app import build_services, create_app
from qorgau.config import Settings

app = create_app(build_services(Settings()))
