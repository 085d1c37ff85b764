#!/usr/bin/env bash
# `make cli`: the real Pulumi CLI, built here from its Go modules (the Go module
# proxy is the only source used), into a cache outside the repository that a
# second run reuses. Prints the folder to put first on PATH.
#
# What it builds, at the pinned versions below:
#   pulumi                          github.com/pulumi/pulumi/pkg/v3, cmd/pulumi, with the
#                                   version stamped as pulumi's Makefile does
#   pulumi-language-python          the real Python language host, from its source in
#                                   ../shared/vendor/pulumi-language-python (beside this
#                                   repository in its CI); runs `runtime: python` programs
#   pulumi-resource-pulumi-python   serves Python dynamic providers (a script in the
#   pulumi-language-python-exec     github.com/pulumi/pulumi/sdk/v3 module, sdk/python/)
#   pulumi-language-yaml            github.com/pulumi/pulumi-yaml, cmd/pulumi-language-yaml
#   codegen-bin/pulumi-language-{nodejs,go}
#                                   scripts/codegen_host: code generation only (gen-sdk,
#                                   import's program), in a folder of its own beside bin/,
#                                   with the real Python host linked beside them
#
# The Python language host's Go module (sdk/python/cmd/pulumi-language-python) has no
# tags, and the Go module proxy answers 403 for it, so its three files are kept in
# shared/vendor with a go.mod that requires pkg/v3 and sdk/v3 at the CLI's version (its
# README). Where that folder is absent (a checkout elsewhere), this says so and builds
# the rest: install the Pulumi CLI the official way to run Python programs.
#
# What it cannot: the Node.js and Go language hosts, whose modules the proxy refuses too
# and of which no source is kept. TypeScript and Go programs are Automation API inline
# programs (CONTRIBUTING.md). The two commands that only generate code, `pulumi package
# gen-sdk` and `pulumi import`'s program, call the language host too: scripts/codegen_host
# makes the same pkg/v3 codegen calls as the real hosts, and is put on PATH (CODEGEN
# below) for those commands alone.
#
# Why a build module: `go install pkg/v3/cmd/pulumi@vX` refuses a module whose go.mod has
# replace lines, and pkg/v3 has two: `sdk/v3 => ../sdk` (met here by requiring sdk/v3 at
# the same version) and a clipboard fork (copied below).
set -euo pipefail

PULUMI_VERSION=3.274.1      # the one line to change for another CLI
PULUMI_YAML_VERSION=1.25.0  # the YAML language host

CACHE="${PULUMI_QUICKCHAT_CLI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-quickchat/cli}"
ROOT="$CACHE/v$PULUMI_VERSION"
BIN="$ROOT/bin"
CODEGEN="$ROOT/codegen-bin"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON_HOST_SRC="$(cd "$HERE/../.." && pwd)/shared/vendor/pulumi-language-python"
STAMP="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"

say() { printf '%s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1; then
    say "make cli: Go is not installed; it builds the Pulumi CLI from its Go modules."
    say "Install Go (https://go.dev/doc/install), or install the Pulumi CLI the official way:"
    say "https://www.pulumi.com/docs/install/"
    exit 1
fi

# The real Python language host, from the vendored source, built on every run like the
# codegen host below (Go's build cache makes an unchanged one a second's work), so a new
# copy in shared/vendor is never shadowed by an old build. It goes beside `pulumi`: the
# CLI takes the host beside itself first, and warns about one found on PATH alone
# (sdk/go/common/workspace/plugins.go getPluginInfoAndPath); it finds
# pulumi-language-python-exec beside itself (its main.go, main).
build_python_host() {
    if [ ! -f "$PYTHON_HOST_SRC/main.go" ]; then
        # A host an earlier build left in the cache still serves, and the CLI takes it.
        if [ -x "$BIN/pulumi-language-python" ]; then
            say "make cli: no Python language host source at $PYTHON_HOST_SRC to rebuild it from; keeping the one built earlier in $BIN"
        else
            say "make cli: no Python language host built (no source at $PYTHON_HOST_SRC); for Python programs install the Pulumi CLI the official way: https://www.pulumi.com/docs/install/"
        fi
        return 0
    fi
    local build="$ROOT/build-python"
    mkdir -p "$build"
    cp "$PYTHON_HOST_SRC/main.go" "$build/main.go"
    cp "$PYTHON_HOST_SRC/go.mod.proxy" "$build/go.mod"
    cp "$PYTHON_HOST_SRC/go.sum.proxy" "$build/go.sum"
    (cd "$build" && GOFLAGS=-mod=mod go build -ldflags "$STAMP" -o "$BIN/pulumi-language-python" .)
}

# The codegen-only language host, from this repository's scripts/codegen_host at the same
# pkg/v3 as the CLI (its go.mod pins it). Go's build cache makes a rebuild of an unchanged
# host take about a second, so it is built on every run and never goes stale.
build_codegen_host() {
    local pinned
    pinned=$(sed -n 's|^\s*github.com/pulumi/pulumi/pkg/v3 v||p' "$HERE/codegen_host/go.mod")
    if [ "$pinned" != "$PULUMI_VERSION" ]; then
        say "make cli: scripts/codegen_host/go.mod pins pkg/v3 v$pinned, not v$PULUMI_VERSION;"
        say "          run: cd scripts/codegen_host && go get github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION && go mod tidy"
        exit 1
    fi
    mkdir -p "$CODEGEN"
    (cd "$HERE/codegen_host" && GOFLAGS=-mod=readonly go build -o "$CODEGEN/pulumi-language-codegen" \
        -ldflags "$STAMP" .)
    # The name it runs by picks the language, and is the tool name the codegen stamps.
    # Hard links, and `pulumi` itself linked beside them: the CLI takes a language host on
    # PATH without a warning only where it is the one beside the running `pulumi`
    # (sdk/go/common/workspace/plugins.go getPluginInfoAndPath, "using ... from $PATH").
    for language in nodejs go; do
        ln -f "$CODEGEN/pulumi-language-codegen" "$CODEGEN/pulumi-language-$language"
    done
    # Python's is the real host (with the executor it looks for beside itself), where built.
    rm -f "$CODEGEN/pulumi-language-python" "$CODEGEN/pulumi-language-python-exec"
    if [ -x "$BIN/pulumi-language-python" ]; then
        ln -f "$BIN/pulumi-language-python" "$BIN/pulumi-language-python-exec" "$CODEGEN/"
    fi
    ln -f "$BIN/pulumi" "$CODEGEN/pulumi"
}

if [ -x "$BIN/pulumi" ] && [ -x "$BIN/pulumi-language-yaml" ] \
    && [ -x "$BIN/pulumi-resource-pulumi-python" ] && [ -x "$BIN/pulumi-language-python-exec" ] \
    && [ "$("$BIN/pulumi" version 2>/dev/null)" = "v$PULUMI_VERSION" ]; then
    say "make cli: Pulumi CLI v$PULUMI_VERSION already built in $BIN"
    build_python_host
    build_codegen_host
    echo "$BIN"
    exit 0
fi

say "make cli: building the Pulumi CLI v$PULUMI_VERSION from its Go modules into $BIN"
say "          (about 770 CPU seconds, 6-7 minutes on 2 idle cores, the first time; later runs reuse it)"
started=$(date +%s)
mkdir -p "$BIN" "$ROOT/build-cli" "$ROOT/build-yaml"
export GOFLAGS="${GOFLAGS:-} -mod=mod"

# 1. pulumi, from a module of our own that requires pkg/v3 and sdk/v3 at one version.
cd "$ROOT/build-cli"
cat > go.mod <<EOF
module pulumi-quickchat/cli

go 1.26

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
EOF
cat > tools.go <<'EOF'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
EOF
go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION" \
    "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" >/dev/null 2>&1 \
    || go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION" \
        "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"
go build -o "$BIN/pulumi" -ldflags "$STAMP" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi

# 2. The dynamic provider host and the program runner: scripts in the sdk/v3 module.
sdk_dir=$(go list -m -f '{{.Dir}}' "github.com/pulumi/pulumi/sdk/v3")
install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$BIN/"
install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$BIN/"

# 3. The YAML language host: its go.mod has no replace lines, so go install takes it.
GOBIN="$BIN" go install "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@v$PULUMI_YAML_VERSION"

build_python_host
build_codegen_host
say "make cli: built in $(( $(date +%s) - started )) s: $("$BIN/pulumi" version)"
echo "$BIN"
