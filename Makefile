# ProdVisual: `make serve` to run the API, `make test` to run every test.
DATA_DIR ?= ./data
PORT ?= 8080
SWIFT_BUILD_FLAGS ?=

.PHONY: deps build serve test bench clean

deps:
	@scripts/install-deps.sh

build: deps
	swift build -c release --product prodvisual $(SWIFT_BUILD_FLAGS)

serve: build
	.build/release/prodvisual serve --data-dir $(DATA_DIR) --port $(PORT)

test: deps
	swift test $(SWIFT_BUILD_FLAGS)

clean:
	rm -rf .build
