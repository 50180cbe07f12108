# Resets $INTEGRATION to where it was before the job's merge. Usage: rollback.sh JOB
. "$(dirname "$0")/common.sh"
job=$1
before="refs/merge-train/before/$job"
# Nothing to undo when the merge never began.
git show-ref --quiet --verify "$before" || exit 0
git -C "$TRAIN/integration" reset --quiet --hard "$before"
git update-ref -d "$before"
