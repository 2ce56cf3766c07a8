"""Search: embeddings, the self-describing index, hybrid retrieval."""
