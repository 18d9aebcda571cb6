# The two commands of the README: `make lab` (the demo) and `make test`.
# Both install what they need first (scripts/setup.sh is idempotent).
.PHONY: setup lab test build lite

setup:
	bash scripts/setup.sh

build:
	cd js && npm run build

lab: setup
	jupyter lab notebooks/pelican.ipynb

lite: setup
	bash lite/build.sh

test: setup
	bash scripts/test.sh
