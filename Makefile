# redis-archiver — build, test, fuzz, bench.  See README.md.
#   make            build build/redis-archiver (gcc, -O2, -Werror)
#   make deps       install Debian 12 packages the build and tests need (root; idempotent, quiet)
#   make check      unit + integration tests against real redis-server and Ceph RGW on 127.0.0.1
#   make asan       the same suite under AddressSanitizer + UBSan (build-asan/)
#   make fuzz       libFuzzer targets, bounded time each (clang, build-fuzz/)
#   make demo       deps + build + local replica + local S3, a backup, its listing and its 12 h link
#   make bench      benchmark against redis-cli --rdb and redis-cli | aws s3 cp (bench/)

CC      ?= cc
V       ?= 0
Q       := $(if $(filter 1,$(V)),,@)
BUILD   ?= build
PKGS    := libcurl hiredis libxml-2.0 jansson openssl libzstd
OPT     ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
           -Wvla -Wpointer-arith -Wwrite-strings
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Iinclude $(shell pkg-config --cflags $(PKGS)) \
             $(if $(SAN),$(SAN_FLAGS)) -MMD -MP $(CFLAGS)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS)) -lm -lpthread $(LDLIBS)
LDFLAGS_ALL = $(if $(SAN),$(SAN_FLAGS)) $(LDFLAGS)

LIB_SRC  := $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libredis-archiver.a
BIN      := $(BUILD)/redis-archiver
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
IT_SRC   := $(wildcard tests/integration/*_it.c)
IT_BIN   := $(IT_SRC:tests/integration/%.c=$(BUILD)/tests/integration/%)
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/helpers/%)

.PHONY: all deps check check-layers asan fuzz demo bench clean tests install
all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  CC    $<')
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BIN): $(BUILD)/src/main.o $(LIB)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes $(LDFLAGS_ALL) -o $@ $< $(LIB) $(LDLIBS_ALL) -lcmocka

$(BUILD)/tests/integration/%: tests/integration/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes $(LDFLAGS_ALL) -o $@ $< $(LIB) $(LDLIBS_ALL) -lcmocka

$(BUILD)/tests/helpers/%: tests/helpers/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes $(LDFLAGS_ALL) -o $@ $< $(LIB) $(LDLIBS_ALL)

tests: $(BIN) $(UNIT_BIN) $(IT_BIN) $(HELPER_BIN)

# Debian 12 packages; apt-get runs only when something is missing.
DEB_BUILD := build-essential pkg-config libcurl4-openssl-dev libssl-dev libhiredis-dev libxml2-dev \
             libjansson-dev libcmocka-dev libzstd-dev
DEB_TEST  := redis-server redis-sentinel redis-tools radosgw ceph-mon ceph-osd awscli curl python3 openssl clang zstd age \
             libclang-rt-14-dev procps valgrind time
deps:
	@missing=$$(for p in $(DEB_BUILD) $(DEB_TEST); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "installing:" $$missing; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@tests/harness/promtool.sh >/dev/null || echo "note: promtool unavailable: the metrics tests will skip promtool, loudly"

# deps first, so that `make check` alone sets up a fresh Debian 12 machine.
check: deps
	@$(MAKE) --no-print-directory check-layers tests
	tests/run.sh $(BUILD)

# the module rules of CODING.md: which file may include which library or layer
check-layers:
	tests/check-layers.sh

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 OPT="-O1 -g" tests
	tests/run.sh build-asan

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_SECONDS ?= 60
build-fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p build-fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude $(shell pkg-config --cflags $(PKGS)) \
	    -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_SRC) $(LDLIBS_ALL)
fuzz: $(FUZZ_BIN)
	tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

demo: deps
	@$(MAKE) --no-print-directory $(BIN)
	contrib/demo.sh $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory $(BIN)
	bench/run.sh $(BUILD) $(BENCH_ARGS)

PREFIX ?= /usr/local
install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/redis-archiver
	test -e $(DESTDIR)/etc/redis-archiver/redis-archiver.conf || \
	    install -D -m 0644 conf/redis-archiver.conf $(DESTDIR)/etc/redis-archiver/redis-archiver.conf

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(BUILD)/src/main.d
