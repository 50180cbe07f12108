# Runs the project's tests (the command given) in the integration worktree. Usage: check.sh COMMAND...
. "$(dirname "$0")/common.sh"
cd "$TRAIN/integration"
exec "$@"
