"""The Gradio chat: app, handlers, rendering, the ledger tab, export and feedback."""
