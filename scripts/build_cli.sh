#!/usr/bin/env bash
# `make cli`: the real Pulumi CLI, built here from its Go modules (the Go module
# proxy is the only source used), into a cache outside the repository that a
# second run reuses. Prints the folder to put first on PATH.
#
# What it builds, at the pinned versions below:
#   pulumi                          github.com/pulumi/pulumi/pkg/v3, cmd/pulumi, with the
#                                   version stamped as pulumi's Makefile does
#   pulumi-resource-pulumi-python   serves Python dynamic providers (a script in the
#   pulumi-language-python-exec     github.com/pulumi/pulumi/sdk/v3 module, sdk/python/)
#   pulumi-language-yaml            github.com/pulumi/pulumi-yaml, cmd/pulumi-language-yaml
#
# What it cannot: the Python, Node.js and Go language hosts live in modules of their own
# (sdk/python/cmd/pulumi-language-python, ...) that carry no tags, and the Go module proxy
# answers 403 for them here. So Python programs are served to the CLI through its
# `--client` flag by the SDK's own language server (scripts/program_server.py), as the
# Automation API does for inline programs. CONTRIBUTING.md says so.
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

say() { printf '%s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1; then
    say "make cli: Go is not installed; it builds the Pulumi CLI from its Go modules."
    say "Install Go (https://go.dev/doc/install), or install the Pulumi CLI the official way:"
    say "https://www.pulumi.com/docs/install/"
    exit 1
fi

if [ -x "$BIN/pulumi" ] && [ -x "$BIN/pulumi-language-yaml" ] \
    && [ -x "$BIN/pulumi-resource-pulumi-python" ] && [ -x "$BIN/pulumi-language-python-exec" ] \
    && [ "$("$BIN/pulumi" version 2>/dev/null)" = "v$PULUMI_VERSION" ]; then
    say "make cli: Pulumi CLI v$PULUMI_VERSION already built in $BIN"
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
go build -o "$BIN/pulumi" \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi

# 2. The dynamic provider host and the program runner: scripts in the sdk/v3 module.
sdk_dir=$(go list -m -f '{{.Dir}}' "github.com/pulumi/pulumi/sdk/v3")
install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$BIN/"
install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$BIN/"

# 3. The YAML language host: its go.mod has no replace lines, so go install takes it.
GOBIN="$BIN" go install "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@v$PULUMI_YAML_VERSION"

say "make cli: built in $(( $(date +%s) - started )) s: $("$BIN/pulumi" version)"
echo "$BIN"
