#!/usr/bin/env bash
# Refresh the vendored U.S. Web Design System files in static/uswds from the npm registry.
# The app serves these itself (no CDN), so it works offline and with no Node at run time.
# Usage: scripts/vendor-uswds.sh [version]   (default: the newest 3.x)
set -euo pipefail
version="${1:-3}"
top="$(cd "$(dirname "$0")/.." && pwd)"
dest="$top/static/uswds"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
tarball="$(npm pack --silent "@uswds/uswds@$version" 2>/dev/null | tail -1)"
tar xzf "$tarball"
dist="$work/package/dist"

rm -rf "$dest"
mkdir -p "$dest/css" "$dest/js" "$dest/img"
cp "$dist/css/uswds.min.css" "$dest/css/"
cp "$dist/js/uswds.min.js" "$dist/js/uswds-init.min.js" "$dest/js/"
cp "$work/package/LICENSE.md" "$dest/LICENSE.md"
# Only the fonts and images the stylesheet references, plus the banner/sprite images the pages use.
grep -o 'url([^)]*)' "$dist/css/uswds.min.css" | sed -e 's/^url(//' -e 's/)$//' -e "s/[\"']//g" -e 's/[?#].*//' \
  | grep '^\.\./' | sort -u | while read -r rel; do
    src="$dist/css/$rel"; out="$dest/css/$rel"
    [ -f "$src" ] && mkdir -p "$(dirname "$out")" && cp "$src" "$out"
  done
cp "$dist/img/sprite.svg" "$dist/img/us_flag_small.png" "$dist/img/icon-dot-gov.svg" "$dist/img/icon-https.svg" "$dest/img/"
mkdir -p "$dest/img/usa-icons-bg"  # the catalog's search button shows it on narrow screens
cp "$dist/img/usa-icons-bg/search--white.svg" "$dest/img/usa-icons-bg/"
node -e "console.log(require('$work/package/package.json').version)" > "$dest/VERSION"
echo "Vendored @uswds/uswds $(cat "$dest/VERSION") into static/uswds"
