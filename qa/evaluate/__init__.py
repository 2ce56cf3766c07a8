"""`qa eval`: running a question set, metrics, reports and the quality gate."""
