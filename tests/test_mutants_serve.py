"""Tests written against mutants of briefgen.serve that the behavioural tests let live
(bench/mutation.py, docs/mutation.md): each pins a detail a change would get wrong."""

from __future__ import annotations
