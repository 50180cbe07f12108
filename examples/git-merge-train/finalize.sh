# Tags the integrated result and writes what it holds to .merge-train/SUMMARY.txt. Usage: finalize.sh TAG
. "$(dirname "$0")/common.sh"
tag=$1
git tag -f "$tag" "$INTEGRATION" >/dev/null
git log --format='%s' "$BASE..$INTEGRATION" --merges >"$TRAIN/SUMMARY.txt"
echo "summary=$TRAIN/SUMMARY.txt" >>"$PLAN_OUTPUT"
