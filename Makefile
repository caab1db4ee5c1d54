# ProdVisual: `make serve` to run the API, `make test` to run every test.
# Server settings come from PRODVISUAL_* variables (see README); DATA_DIR is a shortcut.
DATA_DIR ?= $(or $(PRODVISUAL_DATA_DIR),./data)

.PHONY: deps build serve cluster cluster-stop test test-suites test-python test-node test-go test-php test-swift-client bench clean

deps:
	@scripts/install-deps.sh

build: deps
	swift build -c release --product prodvisual

serve: build
	.build/release/prodvisual serve --data-dir $(DATA_DIR)

# Several nodes on this machine (scripts/cluster.sh): PostgreSQL and an S3 store, two API nodes and
# two workers, nginx in front; prints the URL and a live key. Everything under ./.cluster.
cluster: build
	@scripts/cluster.sh start

cluster-stop:
	@scripts/cluster.sh stop

# The server's tests and the Swift client's (ClientTests), then the SDK suites, each against a
# real `prodvisual serve` on loopback (sdks/TEST_PLAN.md), then the scripts' own tests; all with
# a throw-away PostgreSQL and S3 store (scripts/with-services.sh), which the store suites and the
# cluster tests must find (PRODVISUAL_REQUIRE_SERVICES=1: missing services fail, not skip).
test: deps
	PRODVISUAL_REQUIRE_SERVICES=1 scripts/with-services.sh $(MAKE) --no-print-directory test-suites

# One test at a time: on two cores, suites in parallel starved each other's timers (a 1 s
# time-out measured at 228 s), so timing tests failed for the load, not for the code.
test-suites:
	swift test --no-parallel
	sdks/test.sh
	python3 -m pytest -q -p no:cacheprovider scripts/tests

test-python: deps
	sdks/test.sh python

test-node: deps
	sdks/test.sh node

test-go: deps
	sdks/test.sh go

test-php: deps
	sdks/test.sh php

test-swift-client: deps
	swift test --filter ClientTests

# Cutout quality per backdrop against the bench's masks, and speed beside `vips thumbnail`;
# seconds per style against white_bg; a batch of 50 through the queue against single calls;
# claims per second on SQLite beside PostgreSQL; a batch of 50 through `make cluster` beside one node;
# the static catalogue beside /health under wrk; resident memory over 1,000 generations.
bench: build
	.build/release/prodvisual bench cutout --bench-dir ../shared/bench
	.build/release/prodvisual bench styles --bench-dir ../shared/bench
	.build/release/prodvisual bench tryon --bench-dir ../shared/bench --sheet tryon-sheet.png
	.build/release/prodvisual bench queue --bench-dir ../shared/bench
	scripts/with-services.sh sh -c '.build/release/prodvisual bench claims --database-url "$$PRODVISUAL_TEST_DATABASE_URL"'
	python3 scripts/bench_cluster.py --bench-dir ../shared/bench
	python3 scripts/bench_http.py
	.build/release/prodvisual bench soak --bench-dir ../shared/bench

clean:
	rm -rf .build
