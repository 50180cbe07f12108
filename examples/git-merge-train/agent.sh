# A stand-in for a coding agent: in a worktree of its own, on a branch of its own made from
# $BASE, it writes TEXT into FILE and commits. Usage: agent.sh JOB FILE TEXT
. "$(dirname "$0")/common.sh"
job=$1 file=$2 text=$3
branch="train/$job"
tree="$TRAIN/jobs/$job"
# Another attempt starts afresh.
git worktree remove --force "$tree" 2>/dev/null || true
git worktree add --quiet -B "$branch" "$tree" "$BASE"
printf '%s\n' "$text" >"$tree/$file"
git -C "$tree" add "$file"
git -C "$tree" commit --quiet -m "$job: write $file"
# What the integration needs: the branch to merge.
echo "branch=$branch" >>"$PLAN_OUTPUT"
echo "commit=$(git -C "$tree" rev-parse HEAD)" >>"$PLAN_OUTPUT"
