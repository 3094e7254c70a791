"""Everything served over HTTP besides the proxy itself: API, pages, live streams."""
