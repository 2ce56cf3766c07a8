"""Gradio entry point: `python app.py` serves the chat on http://127.0.0.1:7860 (builds the index if needed)."""

from __future__ import annotations

import argparse
import os
import sys

from qa.answer.engine import load_qa
from qa.cli import port
from qa.ui.app import launch

if __name__ == "__main__":
    try:
        listen = port(os.environ.get("QA_PORT", "7860"))
    except argparse.ArgumentTypeError as e:
        sys.exit(f"app.py: {e}")
    launch(load_qa(), host=os.environ.get("QA_HOST", "127.0.0.1"), port=listen)
