#!/usr/bin/env bash
# Installs tripline for the GitHub Action (action.yml): the release binary for this runner with
# its SHA-256 checked, or, when the release has no binary for the runner (or the action is used
# from a branch or commit), nothing: the action then runs `cargo install` from its own source.
#
# Environment: TRIPLINE_VERSION (a release tag, `v1.2.3`; anything else means no release),
# TRIPLINE_REPOSITORY (owner/name the releases belong to), TRIPLINE_DEST (install root; the
# binary goes to $TRIPLINE_DEST/bin), RUNNER_OS and RUNNER_ARCH (set by the runner),
# TRIPLINE_RELEASE_BASE (optional: where releases are downloaded from, for tests).
# Writes `installed=true|false` to $GITHUB_OUTPUT. A checksum that does not match is an error,
# never a fallback.
set -euo pipefail

version=${TRIPLINE_VERSION:-}
dest=${TRIPLINE_DEST:?TRIPLINE_DEST is required}
output=${GITHUB_OUTPUT:-/dev/null}

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
  *) target= ;;
esac

if ! [[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]; then
  echo "tripline: \`$version\` is not a release tag; building from the action's source"
  echo "installed=false" >> "$output"
  exit 0
fi
if [ -z "$target" ]; then
  echo "tripline: no release binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}; building from source"
  echo "installed=false" >> "$output"
  exit 0
fi

if [ "${RUNNER_OS}" = Windows ]; then ext=zip; exe=tripline.exe; else ext=tar.gz; exe=tripline; fi
asset="tripline-$version-$target.$ext"
base="${TRIPLINE_RELEASE_BASE:-https://github.com/${TRIPLINE_REPOSITORY:?TRIPLINE_REPOSITORY is required}/releases/download}/$version"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! curl -fsSL --retry 3 -o "$work/$asset" "$base/$asset" \
  || ! curl -fsSL --retry 3 -o "$work/$asset.sha256" "$base/$asset.sha256"; then
  echo "tripline: $version has no $asset; building from source"
  echo "installed=false" >> "$output"
  exit 0
fi

expected=$(awk '{print $1; exit}' "$work/$asset.sha256")
if command -v sha256sum > /dev/null; then
  actual=$(sha256sum "$work/$asset" | awk '{print $1}')
else
  actual=$(shasum -a 256 "$work/$asset" | awk '{print $1}')
fi
if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
  echo "::error title=tripline download::$asset does not match its published SHA-256 (expected ${expected:-nothing}, got $actual); not installing it"
  exit 1
fi

mkdir -p "$work/x" "$dest/bin"
if [ "$ext" = zip ]; then
  unzip -q "$work/$asset" -d "$work/x"
else
  tar -xzf "$work/$asset" -C "$work/x"
fi
found=$(find "$work/x" -type f -name "$exe" | head -1)
if [ -z "$found" ]; then
  echo "::error title=tripline download::$asset holds no $exe"
  exit 1
fi
install -m 0755 "$found" "$dest/bin/$exe"
echo "tripline: installed $version ($target), SHA-256 $actual"
echo "installed=true" >> "$output"
