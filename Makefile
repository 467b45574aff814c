# Pantryflow development tasks. The README's two commands need none of this.
.PHONY: run test test-short lint generate vendor bench chaos ci

run:
	go run ./cmd/pantryflow

test:
	go test -race -count=1 ./...

test-short:
	go test -short ./...

lint:
	go vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go tool staticcheck ./...

generate:
	go tool templ generate

vendor:
	./scripts/vendor.sh

bench:
	go run ./cmd/pantryflow bench --runs 2000 --steps 10

chaos:
	go run ./cmd/pantryflow chaos --runs 100 --kills 20

ci:
	./.ci/run
