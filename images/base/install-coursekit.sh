#!/usr/bin/env bash
# The install steps of a coursekit course image. The Dockerfile beside this runs it; the
# test suite runs it outside Docker with --prefix, so the image's logic is tested here.
#
#   install-coursekit.sh [--wheel FILE] [--course DIR] [--prefix DIR]
#
#   --wheel FILE   coursekit wheel to pip install (omit when coursekit is already installed)
#   --course DIR   a course folder: one or more manifests (*.yaml) and the content they name
#   --prefix DIR   where the image's root is (default /); the course goes to
#                  PREFIX/opt/coursekit/courses/<folder name>, its manifests are linked from
#                  PREFIX/etc/jupyter/coursekit/, where every server finds them.
set -euo pipefail

wheel="" course="" prefix="/"
while [ $# -gt 0 ]; do
  case "$1" in
    --wheel) wheel="$2"; shift 2 ;;
    --course) course="$2"; shift 2 ;;
    --prefix) prefix="$2"; shift 2 ;;
    *) echo "install-coursekit.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

if [ -n "$wheel" ]; then
  python3 -m pip install --no-cache-dir "$wheel"
fi
python3 -c "import coursekit" || { echo "install-coursekit.sh: coursekit is not installed" >&2; exit 1; }

if [ -n "$course" ]; then
  [ -d "$course" ] || { echo "install-coursekit.sh: no course folder at $course" >&2; exit 1; }
  name=$(basename "$course")
  dest="$prefix/opt/coursekit/courses/$name"
  manifests="$prefix/etc/jupyter/coursekit"
  mkdir -p "$dest" "$manifests"
  cp -a "$course/." "$dest/"
  # Readable by every student, writable by none: seeding copies from here.
  chmod -R a+rX,go-w "$dest"
  for manifest in "$dest"/*.yaml "$dest"/*.yml; do
    [ -e "$manifest" ] || continue
    ln -sfn "$manifest" "$manifests/$(basename "$manifest")"
  done
  # A bad manifest fails the image build, long before a student could meet it.
  jupyter coursekit validate "$manifests"
  # Setting defaults, extension policy and the branding file, into the environment's
  # system-level Jupyter config (under the image root given by --prefix).
  env_prefix=$(python3 -c "import sys; print(sys.prefix)")
  jupyter coursekit apply "$manifests" --prefix "${prefix%/}$env_prefix"
  # An index of the content's hashes makes a student's no-op start cheap.
  for content in "$dest"/content/*/; do
    if [ -d "$content" ]; then jupyter coursekit index "$content"; fi
  done
fi
