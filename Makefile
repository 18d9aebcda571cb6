# The two commands of the README: `make lab` (the demo) and `make test`.
# Both install what they need first (scripts/setup.sh is idempotent).
.PHONY: setup lab test build lite

setup:
	bash scripts/setup.sh

build:
	cd js && npm run build

# Jupyter refuses to start as root unless told; these machines run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup
	jupyter lab $(ROOT_FLAG) notebooks/pelican.ipynb

lite: setup
	bash lite/build.sh

test: setup
	bash scripts/test.sh
