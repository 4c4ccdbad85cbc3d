# Admission — the commands a newcomer needs. See README.md.
MVN ?= mvn -B -q
JAR := server/target/admission-server.jar

.PHONY: build test test-slow lint run clean tools bench-startup screenshot

build:
	$(MVN) install -DskipTests

# Every test that is not tagged slow, soak or bench, then the README walk-through; well under 15 minutes.
test: lint
	$(MVN) install
	scripts/readme-walkthrough.sh

# The long-running variants, kept out of `make test`.
test-slow:
	$(MVN) install -DexcludedTestGroups=none -Dgroups=slow,soak

# buf lint with its default rules over proto/src/main/proto (buf comes from npm into .tools/).
lint: tools
	.tools/node_modules/.bin/buf lint

tools:
	scripts/install-tools.sh

# Builds the server and starts it with the demo config: gRPC on 127.0.0.1:50051, the web page on http://127.0.0.1:8080/.
run: build
	java -jar $(JAR) --listen 127.0.0.1:50051 --http 127.0.0.1:8080 --in-memory --config config/demo.json

# Issue 4: start-up time with 1 million leases in the snapshot.
bench-startup:
	$(MVN) -f server/pom.xml test -Dgroups=bench -DexcludedTestGroups=none -Dtest=StartupBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false -DtrimStackTrace=false | grep RESULT || true

# Refreshes docs/concurrency-page.png (the README's picture) from the browser test.
screenshot:
	$(MVN) -f server/pom.xml test -Dtest=ConcurrencyPageTest -Dadmission.screenshot=docs

clean:
	$(MVN) clean
	rm -rf data
