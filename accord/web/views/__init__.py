"""The server-rendered screens. Each module is one section of the navigation."""
