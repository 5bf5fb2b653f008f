"""seedance-mock: a faithful local fake of GPTProto's Seedance video-generation API.

``create_app(MockConfig(...))`` builds the aiohttp application; ``seedance-mock`` (``python -m mock_server``)
runs it.
"""

__version__ = "0.1.0"

from mock_server.app import create_app
from mock_server.config import MockConfig

__all__ = ["MockConfig", "__version__", "create_app"]
