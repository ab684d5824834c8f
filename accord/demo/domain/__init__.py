"""The demo workspace as pure planning: who works here, which companies and people exist, and
each person's journey through the funnel. No Django, no I/O: `plan()` returns plain data that
`accord.demo.actions` writes. Every random choice comes from a `random.Random` seeded by the caller.
"""
