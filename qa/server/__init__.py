"""The web server: the chat and a JSON API in one FastAPI app, behind one set of guards and limits.

``app.py`` builds and runs it (it imports Gradio); ``settings.py`` is light, so the CLI can name
``ServeError`` without loading Gradio.
"""
