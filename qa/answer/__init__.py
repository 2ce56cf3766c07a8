"""Answering: question understanding, answerability, composing the answer, follow-ups, training."""
