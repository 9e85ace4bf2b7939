"""Benchmarks: `uv run python -m bench.<script>` from backend/ (needs `wrk`)."""
