#!/bin/sh
# The Jupyter server the Galata specs run against (jupyter_server_test_config.py), with the
# course shared folder as a student's server has it: the example's volume, mounted
# read-only in a mount namespace of the server's own, as Kubernetes mounts a readOnly
# volume. That needs root (CI runs as root); elsewhere the folder stays writable, as a
# member of staff's is, and the specs expect that instead (COURSEKIT_UI_SHARED_READ_ONLY).
set -eu
cd "$(dirname "$0")"
volume=$(mktemp -d "${TMPDIR:-/tmp}/coursekit-ui-shared-XXXXXX")
cp -R ../images/example-course/shared/. "$volume/"
export COURSEKIT_SHARED_ROOT="$volume"
if [ "$(id -u)" = 0 ] && unshare --mount --propagation private true 2>/dev/null; then
  export COURSEKIT_UI_SHARED_READ_ONLY=1
  exec unshare --mount --propagation private sh -c \
    'mount --bind -o ro "$COURSEKIT_SHARED_ROOT" "$COURSEKIT_SHARED_ROOT" && exec "$@"' \
    sh jupyter lab --config jupyter_server_test_config.py
fi
export COURSEKIT_UI_SHARED_READ_ONLY=0
exec jupyter lab --config jupyter_server_test_config.py
