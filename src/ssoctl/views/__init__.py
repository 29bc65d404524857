"""Renderers: human (Rich) and JSON. Logic never prints; views never decide.

Data goes to stdout, progress and notices to stderr. With `--output json`, stdout holds exactly
one JSON document — errors included.
"""
