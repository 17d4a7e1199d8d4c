#!/usr/bin/env bash
# The install steps of coursekit's reference hub. The Dockerfile beside this runs them in the
# hub image; scripts/hub and the test suite run them on this machine, so they are tested here.
#
#   install-hub.sh [--requirements FILE] [--coursekit-wheel FILE] [--module-dir DIR]
#                  [--proxy-dir DIR]
#
#   --requirements FILE  pip install -r FILE (requirements-hub.txt: jupyterhub, the culler)
#   --coursekit-wheel FILE  pip install coursekit's wheel without its dependencies and check
#                        that its exchange service runs: the hub runs only that service,
#                        which needs tornado and jupyterhub (both in the hub image), not
#                        coursekit's single-user server dependencies
#   --module-dir DIR     copy coursekit_hub.py (enrolment, spawn hook, profile filter) into
#                        DIR, a folder on the hub's Python path, and check that it imports
#   --proxy-dir DIR      make sure configurable-http-proxy runs: the one on PATH, else
#                        npm install it into DIR/node_modules; prints the command's path
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

requirements="" coursekit_wheel="" module_dir="" proxy_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --requirements) requirements="$2"; shift 2 ;;
    --coursekit-wheel) coursekit_wheel="$2"; shift 2 ;;
    --module-dir) module_dir="$2"; shift 2 ;;
    --proxy-dir) proxy_dir="$2"; shift 2 ;;
    *) echo "install-hub.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

if [ -n "$requirements" ]; then
  [ -f "$requirements" ] || { echo "install-hub.sh: no requirements file at $requirements" >&2; exit 1; }
  python3 -m pip install --quiet --no-cache-dir -r "$requirements"
  python3 -c "import jupyterhub, jupyterhub_idle_culler" \
    || { echo "install-hub.sh: jupyterhub or jupyterhub-idle-culler did not install" >&2; exit 1; }
fi

if [ -n "$coursekit_wheel" ]; then
  [ -f "$coursekit_wheel" ] || { echo "install-hub.sh: no coursekit wheel at $coursekit_wheel (python -m build --wheel makes it)" >&2; exit 1; }
  python3 -m pip install --quiet --no-cache-dir --no-deps "$coursekit_wheel"
  # From / so that a coursekit source tree in the current folder cannot stand in for it.
  (cd / && python3 -m coursekit.exchange.service --help >/dev/null) \
    || { echo "install-hub.sh: coursekit's exchange service does not run from $coursekit_wheel" >&2; exit 1; }
fi

if [ -n "$module_dir" ]; then
  mkdir -p "$module_dir"
  install -m 0644 "$here/coursekit_hub.py" "$module_dir/coursekit_hub.py"
  # The branded page templates go beside it (coursekit_hub.TEMPLATES).
  mkdir -p "$module_dir/coursekit_hub_templates"
  install -m 0644 "$here"/coursekit_hub_templates/*.html "$module_dir/coursekit_hub_templates/"
  # Import it from where it landed, not from beside this script.
  (cd / && PYTHONPATH="$module_dir" python3 -c "import coursekit_hub") \
    || { echo "install-hub.sh: coursekit_hub does not import from $module_dir" >&2; exit 1; }
fi

if [ -n "$proxy_dir" ]; then
  mkdir -p "$proxy_dir"
  proxy_dir=$(cd "$proxy_dir" && pwd)
  chp=$(command -v configurable-http-proxy || true)
  if [ -z "$chp" ]; then
    chp="$proxy_dir/node_modules/.bin/configurable-http-proxy"
    if ! [ -x "$chp" ]; then
      command -v npm >/dev/null 2>&1 || { echo "install-hub.sh: npm is needed for configurable-http-proxy (apt-get install nodejs npm)" >&2; exit 1; }
      npm install --silent --no-save --no-audit --no-fund --prefix "$proxy_dir" "configurable-http-proxy@^5" >&2
    fi
  fi
  "$chp" --version >/dev/null || { echo "install-hub.sh: $chp does not run" >&2; exit 1; }
  echo "$chp"
fi
