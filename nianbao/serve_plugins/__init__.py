"""Datasette plugins `nianbao serve` loads with --plugins-dir (each file by path)."""
