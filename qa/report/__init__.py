"""The report: its structure (parts, sections, paragraphs) and its chunks, with offsets."""
