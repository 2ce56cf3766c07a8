"""Text: sentences, normalisation, the one tokenizer, English questions, numbers (the bottom room)."""
