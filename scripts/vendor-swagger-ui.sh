#!/usr/bin/env bash
# Copy the Swagger UI files the API explorer (/docs) serves into the package, from the version
# pinned in package.json and package-lock.json: `make swagger-ui`. To move to a newer version,
# change the pin in package.json, run `npm install`, then this script, and commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci --no-audit --no-fund --ignore-scripts >/dev/null
src=node_modules/swagger-ui-dist
dest=src/lowalp/web/static/swagger-ui
version=$(node -p "require('./$src/package.json').version")
case "$version" in
  5.*) ;;
  *) echo "error: swagger-ui-dist $version is not 5.x (OpenAPI 3.1 needs Swagger UI 5)" >&2; exit 1 ;;
esac

mkdir -p "$dest"
rm -f "$dest"/swagger-ui-bundle.js "$dest"/swagger-ui.css "$dest"/LICENSE "$dest"/NOTICE \
  "$dest"/swagger-ui-bundle.js.LICENSE.txt "$dest"/VERSION
cp "$src/swagger-ui-bundle.js" "$dest/"
# The stylesheet without its source-map comment: the map is not shipped.
grep -v '^/\*# sourceMappingURL=' "$src/swagger-ui.css" >"$dest/swagger-ui.css"
cp "$src/LICENSE" "$src/NOTICE" "$src/swagger-ui-bundle.js.LICENSE.txt" "$dest/"
echo "swagger-ui-dist $version" >"$dest/VERSION"
echo "copied swagger-ui-dist $version into $dest" >&2
