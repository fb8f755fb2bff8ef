"""ASGI entry point for ``qorgau run`` (uvicorn imports ``qorgau.asgi:app``)."""

from qorgau.config import Settings
from qorgau.container import build_container
from qorgau.server import create_app

app = create_app(build_container(Settings()))
