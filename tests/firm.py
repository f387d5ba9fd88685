"""The firm the serve tests' workspaces are made for: its briefgen.toml tables."""

FIRM_TOML = """\
[firm]
name = "Konsultfirman AB"
contact = "enkat@konsultfirman.se"
logo = "logo.svg"

[theme]
primary = "#0B5D4B"
accent = "#8A4B08"
"""
