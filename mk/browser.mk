# Browser tests (tests/browser): Debian's chromium, installed by `make test` like the engine.
.PHONY: browser-setup

browser-setup:
	scripts/browser-setup.sh
