# wfmon: build, test, install, demo.
#
#   make            build build/wfmond, build/wfmon, build/wfmon-sim, build/wfmon-bench, build/wfmon-histgen, build/wfmon-bullmq
#   make deps       install missing Debian packages (as root) or print the command
#   make check      deps, build, unit + integration tests, then the same under ASan+UBSan
#   make bench      the fan-out benchmark matrix, then the ingest benchmark
#   make bench-ingest  the ingest benchmark alone (tests/bench_ingest.sh; BENCH_BASE=DIR compares a build)
#   make bench-memory  the daemon's RSS over a rolling set of executions (MEMORY_DURATION=600 for the full 10 minutes)
#   make bench-retention  retention's cost: deleting a day of events row by row vs dropping its partition
#   make bench-store   PostgreSQL's own CPU per stored event, no daemon (tests/bench_store_apply.sh; BENCH_BASE=DIR compares a build's schema)
#   make bench-acks the longest acknowledgement gap while the spool drains (tests/ack_gap.sh)
#   make bench-metrics  metrics queries over 10 million executions, writes with rollups on and off
#   make demo       deps, build, private Postgres, daemon, simulator, console
#   make fuzz       run every libFuzzer target for FUZZ_SECONDS each (clang)
#   make install    PREFIX=/usr/local DESTDIR=  (and make uninstall)

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  := $(PREFIX)/bin
SBINDIR := $(PREFIX)/sbin
MANDIR  := $(PREFIX)/share/man
DATADIR := $(PREFIX)/share/wfmon
DOCDIR  := $(PREFIX)/share/doc/wfmon
# /etc for a system install (PREFIX=/usr), PREFIX/etc otherwise.
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d

CC      ?= gcc
SAN     ?= 0
ifeq ($(SAN),1)
BUILD   ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     := -O1
else
BUILD   ?= build
SANFLAGS :=
OPT     := -O2
endif

PKGS     := libwebsockets jansson libjwt libpq ncursesw libcurl libssl libcrypto libsystemd zlib
# Lazy (=) so that `make deps` can install the packages before anything asks pkg-config.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS  ?= $(OPT) -g
CPPFLAGS_ALL = -std=gnu11 -D_GNU_SOURCE -I$(BUILD)/gen
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ALL_CFLAGS = $(CPPFLAGS_ALL) $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS) -Wl,--as-needed
LIBS    = $(PKG_LIBS) -lev -lm -lpthread
# hiredis: wfmon-bullmq's, and wfmond's cluster bus (src/server/cluster.c).
HIREDIS_LIBS = $(shell pkg-config --libs hiredis 2>/dev/null)

# Layers (src/LAYERS): a source file in src/L/ is compiled with the include
# folders of the layers L may use and no others, so that a forbidden include
# does not compile; tests/layers.sh says which line breaks the table first.
layer_uses = $(shell awk '$$1 == "$(1)" { $$1 = ""; print }' src/LAYERS)
layer_inc  = $(addprefix -Iinclude/,$(call layer_uses,$(1)))
ALL_INC    := $(addprefix -I,$(wildcard include/*))

# Libraries by layer: core (common + protocol), server (+ store), net, client, ui, tools.
CORE_SRC   := $(wildcard src/common/*.c src/proto/*.c)
NET_SRC    := $(wildcard src/net/*.c)
SERVER_SRC := $(filter-out src/server/main.c,$(wildcard src/server/*.c src/store/*.c))
MIGRATIONS := $(sort $(wildcard src/store/migrations/*.sql))
CLIENT_SRC := $(wildcard src/client/*.c)
UI_SRC     := $(wildcard src/ui/*.c)
TOOLS_SRC  := $(filter-out src/tools/sim.c src/tools/bench.c,$(wildcard src/tools/*.c))
BULLMQ_SRC := $(filter-out src/bullmq/main.c,$(wildcard src/bullmq/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

# `make V=1` shows the whole commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

CORE_LIB   := $(BUILD)/libwfcore.a
NET_LIB    := $(BUILD)/libwfnet.a
SERVER_LIB := $(BUILD)/libwfserver.a
CLIENT_LIB := $(BUILD)/libwfclient.a
UI_LIB     := $(BUILD)/libwfui.a
TOOLS_LIB  := $(BUILD)/libwftools.a
BULLMQ_LIB := $(BUILD)/libwfbullmq.a

BINS := $(BUILD)/wfmond $(BUILD)/wfmon $(BUILD)/wfmon-sim $(BUILD)/wfmon-bench $(BUILD)/wfmon-histgen $(BUILD)/wfmon-bullmq

# Message catalogues: src/po/LANG.po -> build/locale/LANG/LC_MESSAGES/wfmon.mo
PO_FILES := $(wildcard src/po/*.po)
MO_FILES := $(patsubst src/po/%.po,$(BUILD)/locale/%/LC_MESSAGES/wfmon.mo,$(PO_FILES))

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
INTEG_SRC := $(wildcard tests/integration/test_*.c)
INTEG_BINS := $(patsubst tests/integration/%.c,$(BUILD)/tests/%,$(INTEG_SRC))
TEST_SUPPORT_SRC := $(wildcard tests/support/*.c)
TEST_SUPPORT_OBJ := $(call obj,$(TEST_SUPPORT_SRC))

.PHONY: all deps check check-run bench bench-cluster bench-ingest bench-memory bench-retention bench-store bench-acks bench-metrics demo install uninstall clean tests
all: $(BINS) $(MO_FILES) $(BUILD)/wfmond.service

# The unit with this build's installed paths (also what its test verifies).
$(BUILD)/wfmond.service: packaging/wfmond.service.in $(BUILD)/gen/install_paths.h
	@mkdir -p $(dir $@)
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< >$@

$(BUILD)/locale/%/LC_MESSAGES/wfmon.mo: src/po/%.po
	@mkdir -p $(dir $@)
	$(call say,MSGFMT,$<)
	$(Q)msgfmt --check -o $@ $<

$(BUILD)/obj/src/%.o: src/%.c | $(BUILD)/layers.ok
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) $(call layer_inc,$(firstword $(subst /, ,$*))) -c -o $@ $<
$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_INC) -c -o $@ $<

# Every include against src/LAYERS, before anything compiles.
$(BUILD)/layers.ok: src/LAYERS tests/layers.sh $(wildcard src/*/*.c src/*/*.h include/*/*.h)
	@mkdir -p $(dir $@)
	$(Q)tests/layers.sh
	@touch $@

$(CORE_LIB): $(call obj,$(CORE_SRC))
$(SERVER_LIB): $(call obj,$(SERVER_SRC)) $(if $(MIGRATIONS),$(BUILD)/obj/gen/migrations_data.o)

# The SQL migrations are compiled in: {name, sql} pairs in file-name order.
$(BUILD)/gen/migrations_data.c: $(MIGRATIONS) Makefile
	@mkdir -p $(dir $@)
	@{ echo '/* generated from src/store/migrations by make: do not edit */'; \
	   echo '#include "migrations.h"'; \
	   echo 'const struct migration migrations[] = {'; \
	   for f in $(MIGRATIONS); do \
	     printf '\t{ "%s",\n' "$$(basename $$f .sql)"; \
	     sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t  "/' -e 's/$$/\\n"/' $$f; \
	     echo '\t},'; \
	   done; \
	   echo '\t{ 0, 0 }'; echo '};'; } > $@
# The installed paths the console and the daemon fall back to. Rewritten only when PREFIX
# changes, so that `make install PREFIX=...` after a plain `make` rebuilds the
# two files that use them instead of keeping /usr/local.
$(BUILD)/gen/install_paths.h: FORCE
	@mkdir -p $(dir $@)
	@printf '/* generated by make from PREFIX: do not edit */\n#define WFMON_DATADIR "%s"\n#define WFMON_LOCALEDIR "%s"\n#define WFMON_SYSCONFDIR "%s"\n' \
	  '$(DATADIR)' '$(PREFIX)/share/locale' '$(SYSCONFDIR)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(call obj,src/ui/theme.c src/ui/i18n.c src/server/config.c): $(BUILD)/gen/install_paths.h
.PHONY: FORCE

$(BUILD)/obj/gen/migrations_data.o: $(BUILD)/gen/migrations_data.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(call layer_inc,store) -c -o $@ $<
$(NET_LIB): $(call obj,$(NET_SRC))
$(CLIENT_LIB): $(call obj,$(CLIENT_SRC))
$(UI_LIB): $(call obj,$(UI_SRC))
$(TOOLS_LIB): $(call obj,$(TOOLS_SRC))
$(BULLMQ_LIB): $(call obj,$(BULLMQ_SRC))
$(BUILD)/%.a:
	@mkdir -p $(dir $@)
	$(call say,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/wfmond: $(call obj,src/server/main.c) $(SERVER_LIB) $(CORE_LIB)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(HIREDIS_LIBS)
$(BUILD)/wfmon: $(call obj,$(wildcard src/wfmon/*.c)) $(UI_LIB) $(CLIENT_LIB) $(NET_LIB) $(CORE_LIB)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/wfmon-sim: $(call obj,src/tools/sim.c) $(TOOLS_LIB) $(NET_LIB) $(CORE_LIB)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/wfmon-bench: $(call obj,src/tools/bench.c) $(TOOLS_LIB) $(NET_LIB) $(CORE_LIB)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/wfmon-histgen: $(call obj,src/admin/histgen.c) $(SERVER_LIB) $(CORE_LIB)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(HIREDIS_LIBS)
$(BUILD)/wfmon-bullmq: $(call obj,src/bullmq/main.c) $(BULLMQ_LIB) $(CLIENT_LIB) $(NET_LIB) $(CORE_LIB)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(HIREDIS_LIBS)

TEST_LIBS = $(SERVER_LIB) $(UI_LIB) $(BULLMQ_LIB) $(CLIENT_LIB) $(TOOLS_LIB) $(NET_LIB) $(CORE_LIB)
$(BUILD)/tests/%: tests/unit/%.c $(TEST_SUPPORT_OBJ) $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(call say,TEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_INC) -Itests/support $(ALL_LDFLAGS) -o $@ $< $(TEST_SUPPORT_OBJ) $(TEST_LIBS) $(LIBS) $(HIREDIS_LIBS) -lcmocka
$(BUILD)/tests/%: tests/integration/%.c $(TEST_SUPPORT_OBJ) $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(call say,TEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_INC) -Itests/support $(ALL_LDFLAGS) -o $@ $< $(TEST_SUPPORT_OBJ) $(TEST_LIBS) $(LIBS) $(HIREDIS_LIBS) -lcmocka

tests: $(BINS) $(MO_FILES) $(BUILD)/wfmond.service $(UNIT_BINS) $(INTEG_BINS)

# Kept between builds: they are not intermediate files.
.SECONDARY: $(TEST_SUPPORT_OBJ)

# ---- fuzzing ------------------------------------------------------------------
# libFuzzer targets (tests/fuzz/fuzz_NAME.c), built with Debian's clang under
# ASan and UBSan, each with a seed corpus (tests/fuzz/corpus/NAME) and a
# dictionary (tests/fuzz/NAME.dict). `make fuzz` runs each for FUZZ_SECONDS;
# `make check` runs each for FUZZ_CHECK_SECONDS when clang is installed.
# New inputs go to build/fuzz/corpus/NAME, crashes to build/fuzz/crash-NAME-*.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 10
FUZZ_BUILD   := build/fuzz
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_NAMES))
# What the targets reach: the protocol, the JWT check, the rule parser, the client.
FUZZ_LIB_SRC := $(CORE_SRC) src/server/auth.c src/server/jwks.c
FUZZ_FLAGS   := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
FUZZ_CFLAGS   = $(CPPFLAGS_ALL) $(ALL_INC) -Wall -Wextra -Werror $(FUZZ_FLAGS) $(PKG_CFLAGS)
FUZZ_LIB     := $(FUZZ_BUILD)/libwffuzz.a

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,FUZZCC,$<)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<
$(FUZZ_LIB): $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_LIB_SRC))
	$(call say,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	$(call say,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(LIBS)

.PHONY: fuzz fuzz-build fuzz-check
fuzz-build: $(FUZZ_BINS)
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@tests/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_NAMES)

# Debian packages the build, the tests and the demo need.
# libhiredis-dev and redis-server: wfmond's cluster bus (--cluster), and wfmon-bullmq reads a BullMQ application's
# Redis, and its test runs a real redis-server (redis-tools: redis-cli, which
# the test uses to put foreign keys in it); nodejs and npm: that test's BullMQ
# application (the bullmq npm package, which the test installs into
# build/node-bullmq-VERSION); tzdata: schedules' time zones.
DEB_PKGS := gcc make pkg-config libwebsockets-dev libjansson-dev libjwt-dev libcmocka-dev \
            libev-dev libwebsockets-evlib-ev libncurses-dev libpq-dev libcurl4-openssl-dev libssl-dev postgresql tmux gettext locales openssl \
            curl python3 libsystemd-dev zlib1g-dev clang libclang-rt-14-dev tzdata \
            libhiredis-dev redis-server redis-tools nodejs npm
# Packages that count as there when their command is, whichever package brought
# it: a Node.js from another source (its nodejs package provides npm and
# conflicts with Debian's) must not be replaced.
DEB_CMDS := nodejs:node npm:npm

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  cmd=""; for pc in $(DEB_CMDS); do [ "$${pc%%:*}" = "$$p" ] && cmd=$${pc#*:}; done; \
	  if [ -n "$$cmd" ] && command -v "$$cmd" >/dev/null 2>&1; then continue; fi; \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "make deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	  echo "make deps: missing Debian packages:$$missing"; \
	  echo "run as root:  apt-get update && apt-get install -y$$missing"; \
	  exit 1; \
	fi

# The whole suite, then once more under AddressSanitizer + UndefinedBehaviorSanitizer,
# then every fuzz target for FUZZ_CHECK_SECONDS (when clang is installed).
check: deps
	@$(MAKE) --no-print-directory tests
	@$(MAKE) --no-print-directory SAN=1 tests
	@if command -v $(FUZZ_CC) >/dev/null; then $(MAKE) --no-print-directory fuzz-build; \
	 else echo "make check: $(FUZZ_CC) is not installed: the fuzz targets are skipped"; fi
	@WFMON_FUZZ_SECONDS=$(FUZZ_CHECK_SECONDS) FUZZ_CC=$(FUZZ_CC) tests/run.sh build build/san

bench: deps
	@$(MAKE) --no-print-directory all
	@tests/bench.sh build
	@tests/bench_ingest.sh build
	@MEMORY_DURATION=$(MEMORY_DURATION) tests/bench_memory.sh build

bench-cluster: deps
	@$(MAKE) --no-print-directory all
	@tests/bench_cluster.sh build

bench-ingest: deps
	@$(MAKE) --no-print-directory all
	@tests/bench_ingest.sh build

MEMORY_DURATION ?= 120
bench-memory: deps
	@$(MAKE) --no-print-directory all
	@MEMORY_DURATION=$(MEMORY_DURATION) tests/bench_memory.sh build

bench-retention: deps
	@tests/bench_retention.sh

bench-store: deps
	@$(MAKE) --no-print-directory all
	@tests/bench_store_apply.sh build

bench-acks: deps
	@$(MAKE) --no-print-directory all
	@tests/ack_gap.sh build

bench-metrics: deps
	@$(MAKE) --no-print-directory all
	@tests/bench_metrics.sh build

demo: deps
	@$(MAKE) --no-print-directory all
	@src/tools/demo.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR)/themes \
	  $(DESTDIR)$(SYSCONFDIR)/wfmon $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(DOCDIR)
	install -m 755 $(BUILD)/wfmond $(DESTDIR)$(SBINDIR)/wfmond
	install -m 755 $(BUILD)/wfmon $(BUILD)/wfmon-sim $(BUILD)/wfmon-bench $(BUILD)/wfmon-histgen $(BUILD)/wfmon-bullmq $(DESTDIR)$(BINDIR)/
	for m in man/*.[1-8]; do s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	for t in themes/*; do [ -f "$$t" ] && install -m 644 $$t $(DESTDIR)$(DATADIR)/themes/; done; true
	for m in $(MO_FILES); do l=$${m#$(BUILD)/locale/}; l=$${l%%/*}; \
	  install -d $(DESTDIR)$(PREFIX)/share/locale/$$l/LC_MESSAGES; \
	  install -m 644 $$m $(DESTDIR)$(PREFIX)/share/locale/$$l/LC_MESSAGES/wfmon.mo; done
	# The commented example always; the configuration itself only when there is none.
	install -m 644 packaging/wfmond.conf $(DESTDIR)$(SYSCONFDIR)/wfmon/wfmond.conf.example
	[ -e $(DESTDIR)$(SYSCONFDIR)/wfmon/wfmond.conf ] || \
	  install -m 644 packaging/wfmond.conf $(DESTDIR)$(SYSCONFDIR)/wfmon/wfmond.conf
	install -m 644 $(BUILD)/wfmond.service $(DESTDIR)$(UNITDIR)/wfmond.service
	install -m 644 packaging/wfmon.sysusers $(DESTDIR)$(SYSUSERSDIR)/wfmon.conf
	install -m 644 LICENSE README.md $(DESTDIR)$(DOCDIR)/

# Removes what install put there; a wfmond.conf that differs from the
# example (edited) stays, and so do folders that are not empty.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/wfmond $(DESTDIR)$(BINDIR)/wfmon $(DESTDIR)$(BINDIR)/wfmon-sim \
	  $(DESTDIR)$(BINDIR)/wfmon-bench $(DESTDIR)$(BINDIR)/wfmon-histgen $(DESTDIR)$(BINDIR)/wfmon-bullmq
	for m in man/*.[1-8]; do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	for t in themes/*; do rm -f $(DESTDIR)$(DATADIR)/themes/$${t##*/}; done
	for p in $(PO_FILES); do l=$${p##*/}; l=$${l%.po}; \
	  rm -f $(DESTDIR)$(PREFIX)/share/locale/$$l/LC_MESSAGES/wfmon.mo; done
	if cmp -s packaging/wfmond.conf $(DESTDIR)$(SYSCONFDIR)/wfmon/wfmond.conf; then \
	  rm -f $(DESTDIR)$(SYSCONFDIR)/wfmon/wfmond.conf; fi
	rm -f $(DESTDIR)$(SYSCONFDIR)/wfmon/wfmond.conf.example $(DESTDIR)$(UNITDIR)/wfmond.service \
	  $(DESTDIR)$(SYSUSERSDIR)/wfmon.conf $(DESTDIR)$(DOCDIR)/LICENSE $(DESTDIR)$(DOCDIR)/README.md
	-rmdir $(DESTDIR)$(DATADIR)/themes $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/wfmon 2>/dev/null

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
