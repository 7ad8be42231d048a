"""Build the project's website: the notebooks to read, the docs, search, and JupyterLite to run them."""
