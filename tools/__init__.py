"""Tools that build things from the repository (the website)."""
