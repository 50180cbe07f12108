# Merges the job's branch into $INTEGRATION, in a worktree of its own. A conflict aborts the
# merge and exits 1 (the job fails with kind integration_conflict). Usage: integrate.sh JOB BRANCH
. "$(dirname "$0")/common.sh"
job=$1 branch=$2
tree="$TRAIN/integration"
if [ ! -d "$tree" ]; then
  if git show-ref --quiet --verify "refs/heads/$INTEGRATION"; then
    git worktree add --quiet "$tree" "$INTEGRATION"
  else
    git worktree add --quiet -b "$INTEGRATION" "$tree" "$BASE"
  fi
fi
# Where rollback.sh goes back to if the check fails.
git -C "$tree" update-ref "refs/merge-train/before/$job" HEAD
if ! git -C "$tree" merge --no-ff --no-edit -m "Merge $branch ($job)" "$branch"; then
  git -C "$tree" merge --abort
  echo "$branch does not merge cleanly into $INTEGRATION" >&2
  exit 1
fi
