# Shortcuts; the scripts are the source of truth.
.PHONY: run test build debug bench clean
run:
	bash scripts/run
test:
	bash scripts/test
build:
	cmake --preset release && cmake --build --preset release
debug:
	cmake --preset debug && cmake --build --preset debug
bench:
	bash bench/api/run.sh
clean:
	rm -rf build
