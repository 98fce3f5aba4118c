# tierline — build, test, demo, bench, fuzz, install.
#
# Objects go out of tree under $(BUILD) (default build/); the sanitizer pass of
# `make test` reruns the same suite with BUILD=build/asan SANITIZE=1.
# Every library is found with pkg-config.  Sources are picked up by wildcard,
# so adding a module is adding a file.

VERSION  := 0.1.0
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
SANITIZE ?= 0
CC       ?= gcc
ifeq ($(origin CC),default)
CC := gcc
endif

# The binary links libevent, sqlite3 and jansson.  libsndfile and spandsp
# are opened when audio is first used (src/audio/audiolib.c says why): their
# headers are needed, their libraries are not linked, except into the unit
# tests and benchmarks that write WAV files with libsndfile themselves.
PKGS       := libevent sqlite3 jansson
AUDIO_PKGS := sndfile spandsp
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) $(AUDIO_PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
AUDIO_LIBS = $(shell pkg-config --libs sndfile 2>/dev/null)
CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   = $(shell pkg-config --libs cmocka 2>/dev/null)

OPT      ?= -O2
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -g $(OPT) -Wall -Wextra -Werror \
               -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
               -Iinclude -DTIERLINE_VERSION=\"$(VERSION)\"
# Link-time optimisation of the tierline binary: the simulator's per-call
# path crosses modules a dozen times (sim -> call -> sim's sink -> acd, the
# clock), and LTO inlines across them without merging the modules: -4% of
# instructions per M/M/c call, -1.4% per USCIS call, outputs identical.
# Objects are fat (their ordinary code too), so tests and benchmarks link
# their ordinary code as before (-fno-lto), without an LTO link each, and
# what they test is compiled exactly as without LTO.  LTO= turns it off;
# the sanitizer build goes without.
LTO ?= -flto=auto
ifeq ($(SANITIZE),1)
CFLAGS_BASE += -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined -DTIERLINE_DEBUG_INVARIANTS=1
LDFLAGS_SAN := -fsanitize=address,undefined
LTO :=
endif
LTO_CFLAGS := $(if $(LTO),$(LTO) -ffat-lto-objects)
NO_LTO := $(if $(LTO),-fno-lto)
CFLAGS  += $(CFLAGS_BASE) $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -ldl -lm

# LIB_DIRS limits the library to some modules (e.g. LIB_DIRS="util flow"),
# TESTS to some unit tests (e.g. TESTS=test_flow*, or several patterns:
# TESTS="test_call* test_sched"): handy while a module is
# being written beside others that do not build yet.
LIB_DIRS ?= $(patsubst src/%/,%,$(wildcard src/*/))
TESTS    ?= test_*
LIB_SRC  := $(filter-out src/cli/main.c,$(foreach d,$(LIB_DIRS),$(wildcard src/$(d)/*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/src/cli/main.o
LIB      := $(BUILD)/libtierline.a
BIN      := $(BUILD)/tierline

UNIT_SRC := $(sort $(foreach t,$(TESTS),$(wildcard tests/unit/$(t).c)))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps test check-suite unit e2e demo bench fuzz install clean

all: $(BIN)

deps:
	@sh tools/install-deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LTO_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(MAIN_OBJ) $(LIB)
	$(CC) $(LDFLAGS_SAN) $(LTO) $(OPT) -o $@ $(MAIN_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(NO_LTO) $(CMOCKA_CFLAGS) -o $@ $< $(LIB) $(LDFLAGS_SAN) $(CMOCKA_LIBS) $(AUDIO_LIBS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(NO_LTO) -o $@ $< $(LIB) $(LDFLAGS_SAN) $(AUDIO_LIBS) $(LDLIBS)

# The suite for one build flavour: unit tests, then end-to-end tests.
check-suite: $(BIN) $(UNIT_BIN)
	@sh tests/run.sh $(BUILD)

# `make test`: the suite, then the same suite under ASan + UBSan.
test: deps
	$(MAKE) check-suite
	$(MAKE) check-suite BUILD=build/asan SANITIZE=1 OPT=-O1
	@echo "make test: plain and sanitizer suites passed"

unit: $(UNIT_BIN)
	@sh tests/run.sh $(BUILD) unit

e2e: $(BIN)
	@sh tests/run.sh $(BUILD) e2e

demo: deps $(BIN)
	@sh tools/demo.sh $(BIN)

bench: deps $(BIN) $(BENCH_BIN)
	@sh bench/run.sh $(BUILD)

FUZZ_SECONDS ?= 60
fuzz: deps
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) flow
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) scenario
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) script
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) audio

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/tierline
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/tierline
	cp -R flows prompts schema $(DESTDIR)$(PREFIX)/share/tierline/

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d)
