"""The web server: the chat and a JSON API in one FastAPI app, behind one set of guards and limits.

``qa.server.app`` builds and runs it (it imports Gradio); this package itself stays light, so the
CLI can name :class:`ServeError` without loading Gradio.
"""

from qa.server.settings import ServeError, ServerSettings, settings_from

__all__ = ["ServeError", "ServerSettings", "settings_from"]
