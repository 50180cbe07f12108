# Shared by the merge train's scripts: where things are. Run from the repository (the plan's folder).
set -eu
ROOT=$(git rev-parse --show-toplevel)
# The branch every job starts from, and the branch the train merges into.
BASE=${BASE:-main}
INTEGRATION=${INTEGRATION:-integration}
# Worktrees live here, ignored by git.
TRAIN="$ROOT/.merge-train"
mkdir -p "$TRAIN"
grep -qx '/.merge-train/' "$(git rev-parse --git-path info/exclude)" 2>/dev/null ||
  echo '/.merge-train/' >>"$(git rev-parse --git-path info/exclude)"
