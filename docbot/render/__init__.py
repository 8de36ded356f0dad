"""Markdown from doc values: ``page`` (one per source file), ``index`` (the docs folder), ``bodies`` (pull
request, sticky comment and job summary)."""
