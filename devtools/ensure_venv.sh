#!/bin/sh
# Make the virtualenv usable before anything is installed into it (the Makefile runs this first).
#
# The project needs Python 3.11 or newer (pyproject's requires-python). A virtualenv made by an
# older Python, or by one that has since been removed, can never work, and pip would fail in it
# after every switch of Python: it is rebuilt with <python>, saying why. A <python> that is itself
# too old is explained instead of used. With "given" (the user chose <python>: make ...
# PYTHON=python3.13), a virtualenv made by another Python version is rebuilt with it too.
#
# Usage: devtools/ensure_venv.sh <python> <virtualenv directory> [given]
set -eu
python=$1
venv=$2
given=${3:-}

version_of() { "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null; }
supported() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }

if ! supported "$python"; then
  found=$(version_of "$python" || true)
  if [ -n "$found" ]; then found="Python $found"; else found="not a Python that runs"; fi
  echo "error: $python is $found; this project needs Python 3.11 or newer. Install one (Debian: apt-get install python3) and run make with it, e.g. make test PYTHON=python3.11" >&2
  exit 1
fi
if [ -e "$venv" ] && ! supported "$venv/bin/python"; then
  found=$(version_of "$venv/bin/python" || true)
  if [ -n "$found" ]; then
    found="Python $found, which this project does not support (it needs 3.11 or newer)"
  else
    found="a Python that no longer runs"
  fi
  echo "$venv was made by $found: rebuilding it with $python (Python $(version_of "$python"))."
  rm -rf "$venv"
fi
if [ -n "$given" ] && [ -e "$venv" ]; then
  made=$(version_of "$venv/bin/python" || true)
  wanted=$(version_of "$python")
  if [ "$made" != "$wanted" ]; then
    echo "$venv was made by Python $made, not by PYTHON=$python (Python $wanted): rebuilding it with $python."
    rm -rf "$venv"
  fi
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "Creating $venv with $python (Python $(version_of "$python"))."
  "$python" -m venv "$venv"
fi
