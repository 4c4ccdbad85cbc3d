# Admission — the commands a newcomer needs. See README.md.
MVN ?= mvn -B -q
JAR := server/target/admission-server.jar

.PHONY: build test test-slow lint run clean tools clients bench-startup screenshot dist cluster cluster-down

build:
	$(MVN) install -DskipTests

# Every test that is not tagged slow, soak or bench, the README walk-through, the Python and Node
# clients against the server jar, and the tarball; well under 15 minutes. Ends with one line:
# tests passed, failed and skipped across every module, and each scripted check.
test: tools
	MVN="$(MVN)" scripts/test.sh

# The durable server for 30 minutes at 70 % of its measured throughput with a kill -9 every 5
# (scripts/soak.sh; MINUTES=4 for a short try): per-minute throughput, p99 and live heap,
# nothing lost, into docs/SOAK.md. Never part of `make test`; wants a quiet machine.
.PHONY: soak
soak:
	MVN="$(MVN)" scripts/soak.sh --minutes $(or $(MINUTES),30)

# The long-running variants, kept out of `make test`.
test-slow:
	$(MVN) install -DexcludedTestGroups=none -Dgroups=slow,soak

# buf lint with its default rules over proto/src/main/proto (buf comes from npm into .tools/),
# then buf breaking against the previous commit: a renamed or renumbered field fails the build.
lint: tools
	.tools/node_modules/.bin/buf lint
	scripts/proto-breaking.sh

tools:
	scripts/install-tools.sh

# Python and Node stubs of admission.v1 (buf.gen.yaml) into git-ignored folders under clients/;
# installs Debian's protoc and Python gRPC, and the Node packages of clients/node, when missing.
clients:
	scripts/gen-clients.sh

# Builds the server and starts it with the demo config: gRPC on 127.0.0.1:50051, the web page on http://127.0.0.1:8080/.
run: build
	java -jar $(JAR) --listen 127.0.0.1:50051 --http 127.0.0.1:8080 --in-memory --config config/demo.json

# Three nodes of a cluster on loopback (scripts/cluster.sh): gRPC 127.0.0.1:50051-50053, Raft
# 6051-6053, the web page on http://127.0.0.1:8080/ (the first node), the demo config; data and
# logs in data/cluster. Run again after a node died to restart just that node.
cluster: build
	scripts/cluster.sh up

cluster-down:
	scripts/cluster.sh down

# Start-up time with 1 million leases in the snapshot; a benchmark, so never part of `make test`.
bench-startup:
	$(MVN) -f server/pom.xml test -Dgroups=bench -DexcludedTestGroups=none -Dtest=StartupBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false -DtrimStackTrace=false | grep RESULT || true

# Refreshes docs/concurrency-page.png (the README's picture) from the browser test.
screenshot:
	$(MVN) -f server/pom.xml test -Dtest=ConcurrencyPageTest -Dadmission.screenshot=docs

# target/dist/admission-<version>.tar.gz: the server, the CLI, a systemd unit and an example config.
dist: build
	scripts/dist.sh

clean:
	$(MVN) clean
	rm -rf data clients/python/admission/v1 clients/node/gen

# ---- Benchmarks (bench/, docs/BENCHMARKS.md). Never part of `make test`. ---------------------
.PHONY: bench bench-quick
BENCH_JAR := bench/target/admission-bench.jar
BENCH_INPUTS := $(shell find proto/src server/src/main client-stub/src/main bench/src -type f 2>/dev/null) \
	pom.xml proto/pom.xml server/pom.xml client-stub/pom.xml bench/pom.xml

# The jars the benchmarks run (bench and server); rebuilt only when a source changed.
$(BENCH_JAR): $(BENCH_INPUTS)
	$(MVN) package -Dmaven.test.skip=true -pl bench -am

# Everything, side by side on this machine (~70 min); rewrites the tables of docs/BENCHMARKS.md.
bench: $(BENCH_JAR)
	scripts/bench.sh

# About 7 min once the jars are built (a first build adds about a minute); its last lines are one
# `RESULT name=value` per headline figure, durable ÷ in-memory Admission and its p99s first; its
# tables go to bench/target/bench-run/tables.md.
bench-quick: $(BENCH_JAR)
	scripts/bench.sh --quick
