#!/usr/bin/env bash
# scripts/check_layers.sh: every #include "<folder>/..." in src/ is allowed by the layer table
# in docs/ARCHITECTURE.md (the rows between <!-- layers:begin --> and <!-- layers:end -->).
# Prints each include that breaks it (file:line, what, what the folder may include) and exits
# 1; also fails when a folder of src/ has no row, or a row names a folder listed below it.
set -euo pipefail
cd "$(dirname "$0")/.."
DOC=docs/ARCHITECTURE.md

declare -A allowed order
n=0
while IFS= read -r row; do
  folder=$(sed -E 's/^\| *`([a-z_]+)`.*/\1/' <<<"$row")
  deps=$(cut -d'|' -f3 <<<"$row" | tr -d '` ' | tr ',' ' ')
  allowed[$folder]=" $deps "
  order[$folder]=$n
  n=$((n + 1))
done < <(sed -n '/<!-- layers:begin -->/,/<!-- layers:end -->/p' "$DOC" | grep -E '^\| *`')

fail=0
for folder in "${!allowed[@]}"; do
  for dep in ${allowed[$folder]}; do
    if [ -z "${order[$dep]+x}" ] || [ "${order[$dep]}" -ge "${order[$folder]}" ]; then
      echo "$DOC: row '$folder' may include '$dep', which is not a folder above it in the table"
      fail=1
    fi
  done
done

checked=0
for dir in src/*/; do
  folder=$(basename "$dir")
  if [ -z "${allowed[$folder]+x}" ]; then
    echo "src/$folder/: no row in the layer table of $DOC"
    fail=1
    continue
  fi
  while IFS=: read -r file line dep; do
    checked=$((checked + 1))
    [ "$dep" = "$folder" ] && continue
    case "${allowed[$folder]}" in *" $dep "*) continue ;; esac
    echo "$file:$line: $folder includes $dep/ (may include:${allowed[$folder]:- nothing})"
    fail=1
  done < <(grep -HnoE '^#include "[a-z_]+/' "$dir"*.h "$dir"*.cc 2>/dev/null |
    sed -E 's/#include "([a-z_]+)\//\1/')
done
if [ "$fail" -ne 0 ]; then
  echo "layers: FAILED (fix the include, or change the table in $DOC on purpose)"
  exit 1
fi
echo "layers: ${#allowed[@]} folders, $checked project includes, all allowed by $DOC"
