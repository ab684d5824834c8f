"""Turn what the apps' selectors read into what the templates show, one module per screen area.
Presenters format: they run no query (accord/web/tests/test_presenters.py), so whatever they show
is read before, by a selector, and handed to them."""
