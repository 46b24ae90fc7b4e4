"""The movemirror command-line tool: one module per command, all on the app in main.py."""
