# labbus top-level build.
#
# GNU make + pkg-config. Objects go under $(BUILD)/obj, binaries under
# $(BUILD)/bin, test programs under $(BUILD)/tests. Each directory that builds
# something has a build.mk fragment that calls the add_* macros below, so a new
# module never edits this file.
#
# Nothing here runs pkg-config or protoc-c while the makefile is parsed: the
# package flags are expanded lazily, the first time a compile rule needs them,
# so `make deps` works on a machine that has none of them yet.

BUILD    ?= build
BIN      := $(BUILD)/bin
CC       ?= cc
CLANG    ?= clang
CFLAGS_EXTRA ?=
LDFLAGS_EXTRA ?=
CFLAGS   := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-format-truncation -D_GNU_SOURCE \
            -I. -Ifirmware/core -I$(BUILD)/gen $(CFLAGS_EXTRA)
LDFLAGS  := -Wl,--as-needed $(LDFLAGS_EXTRA)

PKGS := libczmq libzmq libprotobuf-c jansson libcurl libmicrohttpd libserialport cmocka libcrypto zlib
# Evaluated once, on first use (after deps has run), then cached.
PKG_CFLAGS = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $(shell pkg-config --libs $(PKGS)) -lm -lpthread)$(PKG_LIBS)

ALL_LIBS  :=
ALL_PROGS :=
ALL_TESTS :=
ALL_FUZZ  :=

objs = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
fuzzobjs = $(patsubst %.c,$(BUILD)/fuzzobj/%.o,$(1))
libfiles = $(foreach l,$(1),$(BUILD)/lib/lib$(l).a)

# $(call add_lib,NAME,SOURCES): static library $(BUILD)/lib/libNAME.a
define add_lib
$(BUILD)/lib/lib$(1).a: $(call objs,$(2))
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	@rm -f $$@ && $$(AR) rcs $$@ $$^
ALL_LIBS += $(BUILD)/lib/lib$(1).a
LIBSRC_$(1) := $(2)
endef

# $(call add_prog,NAME,SOURCES,LIBS): program $(BUILD)/bin/NAME; LIBS in link order
define add_prog
$(BIN)/$(1): $(call objs,$(2)) $(call libfiles,$(3))
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	@$$(CC) -o $$@ $$^ $$(LDFLAGS) $$(PKG_LIBS)
ALL_PROGS += $(BIN)/$(1)
endef

# $(call add_test,NAME,SOURCES,LIBS): cmocka test program $(BUILD)/tests/NAME
define add_test
$(BUILD)/tests/$(1): $(call objs,$(2)) $(call libfiles,$(3))
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	@$$(CC) -o $$@ $$^ $$(LDFLAGS) $$(PKG_LIBS)
ALL_TESTS += $(BUILD)/tests/$(1)
endef

# $(call add_fuzz,NAME,SOURCES,LIBS): libFuzzer target $(BUILD)/fuzz/NAME.
# SOURCES are the fuzz entry point plus the library sources it exercises
# (compiled again with clang and coverage); LIBS are linked as they are.
# The seed corpus lives in fuzz/corpus/NAME/.
define add_fuzz
$(BUILD)/fuzz/$(1): $(call fuzzobjs,$(2)) $(call libfiles,$(3))
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	@$$(CLANG) -fsanitize=fuzzer,address,undefined -o $$@ $$^ $$(PKG_LIBS)
ALL_FUZZ += $(BUILD)/fuzz/$(1)
endef

.PHONY: all deps test test-asan test-valgrind test-fresh demo bench fuzz clean gen check-deps
all: gen

GEN_H := $(BUILD)/gen/lab.pb-c.h
gen: $(GEN_H)
$(BUILD)/gen/lab.pb-c.c $(BUILD)/gen/lab.pb-c.h &: proto/lab.proto
	@mkdir -p $(BUILD)/gen
	@echo "  PROTOC  $<"
	@protoc-c --proto_path=proto --c_out=$(BUILD)/gen proto/lab.proto
$(BUILD)/obj/$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -Wno-unused-parameter $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.c | $(GEN_H)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/fuzzobj/%.o: %.c | $(GEN_H)
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	@$(CLANG) -std=gnu11 -g -O1 -D_GNU_SOURCE -DLAB_FUZZING -I. -Ifirmware/core -I$(BUILD)/gen \
	  -fsanitize=fuzzer-no-link,address,undefined $(PKG_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/fuzzobj/$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	@$(CLANG) -std=gnu11 -g -O1 -I$(BUILD)/gen -fsanitize=fuzzer-no-link,address,undefined $(PKG_CFLAGS) -c $< -o $@

# Fragments: every build.mk in the tree, in a stable order.
FRAGMENTS := $(sort $(filter-out build%,$(wildcard */build.mk */*/build.mk */*/*/build.mk)))
include $(FRAGMENTS)
# labctl gathers command modules from several fragments, so it is defined last.
# bus last: every command library depends on it.
$(eval $(call add_prog,labctl,$(LABCTL_SRC),$(filter-out bus,$(LABCTL_LIBS)) bus))

all: $(ALL_LIBS) $(ALL_PROGS) $(ALL_TESTS)

# Installs the Debian packages the project needs, only when one is missing.
deps:
	@tools/deps.sh

test: deps
	@$(MAKE) --no-print-directory all fuzz-build
	@tools/run-tests.sh $(BUILD)

test-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan \
	  CFLAGS_EXTRA="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer" \
	  LDFLAGS_EXTRA="-fsanitize=address,undefined" all
	@LAB_SANITIZED=1 tools/run-tests.sh build-asan

# Memcheck over the pure unit tests (programs named test_*_units): no leaks,
# no invalid reads or writes. Integration tests run under ASan instead.
test-valgrind: deps all
	@tools/run-valgrind.sh $(BUILD)

# The README's two commands on a clean Debian 12 root (debootstrap, cached
# between runs): catches whatever make deps forgets to install.
test-fresh: deps
	@tools/test-fresh.sh

fuzz-build: $(ALL_FUZZ)
.PHONY: fuzz-build

# Long fuzzing run: FUZZ_SECONDS per target (default 60).
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@tools/run-fuzz.sh $(BUILD) $${FUZZ_SECONDS:-60}

demo: deps
	@$(MAKE) --no-print-directory all
	@tools/demo.sh $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory all
	@tools/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) build-asan

-include $(shell find $(BUILD)/obj $(BUILD)/fuzzobj -name '*.d' 2>/dev/null)
