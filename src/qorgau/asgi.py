"""ASGI entry point for ``qorgau run`` (uvicorn imports ``qorgau.asgi:app``)."""

from qorgau.app import build_services
from qorgau.config import Settings
from qorgau.server import create_app

app = create_app(build_services(Settings()))
